// Windows (best effort, not tested here): `netstat -ano -p TCP` gives the pid owning the client's end of
// the connection, `tasklist /FI "PID eq N" /FO CSV /NH` its image name. The full path is not read.
import { plainAddress } from '../excluded-ips.js';
import { runCommand } from './run-command.js';
import type { ClientLookup, ConnectionEnds } from './types.js';

const COMMAND_TIMEOUT_MS = 5000;

/** The pid of the ESTABLISHED row whose local end is `local` ("127.0.0.1:5555" or "[::1]:5555"). */
export function pidFromNetstat(output: string, local: string): number | undefined {
  for (const line of output.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== 'TCP' || fields.length < 5) continue;
    if (fields[1] === local && fields[3] === 'ESTABLISHED') return Number(fields[4]);
  }
  return undefined;
}

/** The image name in the first CSV field of tasklist's line. */
export function imageFromTasklist(output: string): string | undefined {
  const match = /^"([^"]+)"/.exec(output.trim());
  return match?.[1];
}

export async function lookupWindows(ends: ConnectionEnds): Promise<ClientLookup> {
  const address = plainAddress(ends.clientAddress);
  const local = address.includes(':') ? `[${address}]:${ends.clientPort}` : `${address}:${ends.clientPort}`;
  let pid: number | undefined;
  try {
    pid = pidFromNetstat(await runCommand('netstat', ['-ano', '-p', address.includes(':') ? 'TCPv6' : 'TCP'], COMMAND_TIMEOUT_MS), local);
  } catch (error) {
    return { unknown: `netstat failed: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  if (pid === undefined) return { unknown: `netstat shows no connection from ${local}` };
  const image = imageFromTasklist(await runCommand('tasklist', ['/FI', `PID eq ${pid}`, '/FO', 'CSV', '/NH'], COMMAND_TIMEOUT_MS).catch(() => ''));
  return { application: { pid, name: image ?? `pid ${pid}` } };
}
