import { createConnection, type Socket } from 'node:net';

export type ClamdAddress = { host: string; port: number } | { socket: string };

export function describeAddress(address: ClamdAddress): string {
  return 'socket' in address ? `unix:${address.socket}` : `${address.host}:${address.port}`;
}

export function connectTo(address: ClamdAddress): Socket {
  return 'socket' in address ? createConnection({ path: address.socket }) : createConnection({ host: address.host, port: address.port });
}
