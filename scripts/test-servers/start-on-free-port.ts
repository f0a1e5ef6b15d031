// A server started on a port that freePorts() found free can still lose it to another process
// before it binds. The single-port launchers (clamd, c-icap) then start it again on another port,
// a few times, and otherwise wait until it serves or says why it stopped.
import { freePorts } from './free-ports.js';
import type { RunningServer } from './server-process.js';

export interface FreePortStart {
  /** For messages: "clamd", "c-icap". */
  name: string;
  host: string;
  /** Start-up must be done by this time (epoch ms). */
  deadline: number;
  /** Writes the configuration for this port and spawns the server. */
  spawn(port: number): RunningServer;
  /** True once the server serves. */
  serves(port: number): Promise<boolean>;
  /** The tails of the server's logs, for an error message. */
  describe(): string;
  /** Text in describe() that means the port was taken. */
  addressInUse: RegExp;
  attempts?: number;
}

class AddressInUse extends Error {}

export async function startOnFreePort(start: FreePortStart): Promise<{ server: RunningServer; port: number }> {
  const attempts = start.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const [port] = await freePorts(1, start.host);
    const server = start.spawn(port);
    try {
      await waitUntilServing(start, server, port);
      return { server, port };
    } catch (err) {
      await server.stop();
      if (!(err instanceof AddressInUse) || attempt >= attempts) throw err;
    }
  }
}

async function waitUntilServing(start: FreePortStart, server: RunningServer, port: number): Promise<void> {
  for (;;) {
    if (server.hasExited()) {
      const why = start.describe();
      if (start.addressInUse.test(why)) throw new AddressInUse(why);
      throw new Error(`${start.name} exited during start-up (${await server.exited}).\n${why}`);
    }
    if (await start.serves(port)) return;
    if (Date.now() > start.deadline) throw new Error(`${start.name} did not serve in time.\n${start.describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
