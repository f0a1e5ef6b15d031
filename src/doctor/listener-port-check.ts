// Each listener's port: free, or held by the proxy of this data dir. A proxy relays its upstream's
// greeting, so a connection cannot tell it from another program; the running proxy's control endpoint
// (GET /status: its pid and the addresses it listens on) does.
import net from 'node:net';
import { parseHostPort } from '../config/address.js';
import type { ListenerConfig } from '../config/schema.js';
import { callControl } from '../control/client.js';
import { fail, pass, type CheckOutcome, type DoctorCheck } from './check.js';

interface RunningProxy {
  pid: number;
  ports: number[];
}

/** The proxy running on this data dir, as its control endpoint describes itself; undefined when none answers. */
async function runningProxy(dataDir: string): Promise<RunningProxy | undefined> {
  try {
    const status = (await callControl(dataDir, 'GET', '/status')) as { pid?: number; listeners?: { address?: string }[] };
    const ports = (status.listeners ?? []).map((listener) => Number(/:(\d+)$/.exec(listener.address ?? '')?.[1])).filter(Number.isInteger);
    return { pid: Number(status.pid), ports };
  } catch {
    return undefined;
  }
}

export const listenerPortCheck: DoctorCheck = {
  id: 'listener-port',
  needsConfig: true,
  async run({ config, dataDir }) {
    const outcomes: CheckOutcome[] = [];
    for (const listener of config!.listeners) outcomes.push(await checkPort(listener, dataDir));
    return outcomes;
  },
};

async function checkPort(listener: ListenerConfig, dataDir: string): Promise<CheckOutcome> {
  const title = `listener ${listener.name} port`;
  const { host, port } = parseHostPort(listener.listen, true);
  if (port === 0) return pass(title, `${listener.listen}: a free port is picked at start`);
  const problem = await tryListen(host, port);
  if (problem === undefined) return pass(title, `${listener.listen} is free`);
  const running = problem === 'EADDRINUSE' ? await runningProxy(dataDir) : undefined;
  if (running?.ports.includes(port)) {
    return pass(title, `${listener.listen} is held by this inboxguard (pid ${running.pid})`);
  }
  switch (problem) {
    case 'EADDRINUSE':
      return fail(title, `${listener.listen} is in use by another program`, `stop that program, or pick another port: inboxguard listeners remove ${listener.name} and add it again with --listen`);
    case 'EACCES':
      return fail(title, `no permission to listen on ${listener.listen}`, 'use a port above 1023');
    case 'EADDRNOTAVAIL':
      return fail(title, `${host} is not an address of this machine`, 'listen on 127.0.0.1');
    default:
      return fail(title, `cannot listen on ${listener.listen}: ${problem}`, 'pick another listen address');
  }
}

/** undefined when host:port could be bound (and is released again), else the error code. */
function tryListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
