import { createConnection, type Socket } from 'node:net';

export type ClamdAddress = { host: string; port: number } | { socket: string };

export function describeAddress(address: ClamdAddress): string {
  return 'socket' in address ? `unix:${address.socket}` : `${address.host}:${address.port}`;
}

export function connectTo(address: ClamdAddress): Socket {
  return 'socket' in address ? createConnection({ path: address.socket }) : createConnection({ host: address.host, port: address.port });
}

/** scan.clamd.address: HOST:PORT, or the path of clamd's local socket. */
export function parseClamdAddress(text: string): ClamdAddress {
  if (text.includes('/')) return { socket: text };
  const match = /^(.+):(\d+)$/.exec(text);
  if (!match) throw new Error(`scan.clamd.address "${text}" is neither HOST:PORT nor a socket path`);
  return { host: match[1], port: Number(match[2]) };
}
