// macOS (best effort, not tested here): `lsof -nP -iTCP:PORT -sTCP:ESTABLISHED -F pcn` lists the processes
// with a TCP socket on the client's port; the one whose connection starts at the client's end is the
// client. `ps -o comm=` gives the executable's full path.
import { plainAddress } from '../excluded-ips.js';
import { runCommand } from './run-command.js';
import type { ClientLookup, ConnectionEnds } from './types.js';

const COMMAND_TIMEOUT_MS = 3000;

/** Parses lsof -F pcn output into (pid, command, local->remote) triples. */
export function parseLsofFields(output: string): { pid: number; command: string; connection: string }[] {
  const out: { pid: number; command: string; connection: string }[] = [];
  let pid = 0;
  let command = '';
  for (const line of output.split('\n')) {
    const tag = line[0];
    const value = line.slice(1);
    if (tag === 'p') pid = Number(value);
    else if (tag === 'c') command = value;
    else if (tag === 'n') out.push({ pid, command, connection: value });
  }
  return out;
}

function endpoint(address: string, port: number): string {
  const plain = plainAddress(address);
  return plain.includes(':') ? `[${plain}]:${port}` : `${plain}:${port}`;
}

export async function lookupDarwin(ends: ConnectionEnds): Promise<ClientLookup> {
  let output: string;
  try {
    output = await runCommand('lsof', ['-nP', `-iTCP:${ends.clientPort}`, '-sTCP:ESTABLISHED', '-F', 'pcn'], COMMAND_TIMEOUT_MS);
  } catch (error) {
    return { unknown: `lsof failed: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  const local = endpoint(ends.clientAddress, ends.clientPort);
  const row = parseLsofFields(output).find((candidate) => candidate.connection.startsWith(`${local}->`));
  if (!row) return { unknown: `lsof shows no process with a connection from ${local}` };
  const exe = (await runCommand('ps', ['-o', 'comm=', '-p', String(row.pid)], COMMAND_TIMEOUT_MS).catch(() => '')).trim();
  return { application: { pid: row.pid, name: row.command, ...(exe.startsWith('/') ? { exe } : {}) } };
}
