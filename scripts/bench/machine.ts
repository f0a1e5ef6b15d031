import { readFileSync } from 'node:fs';

/** What a bench prints about the machine it ran on: Node's version and the load averages (1, 5, 15 min). */
export function machine(): { node: string; loadavg: string } {
  return { node: process.version, loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') };
}
