import { isIP } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses "host:port" or "[v6]:port". Port 0 (any free port) only when allowAnyPort. */
export function parseHostPort(text: string, allowAnyPort = false): HostPort {
  const trimmed = text.trim();
  let host: string;
  let portText: string;
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(trimmed);
  if (bracketed) {
    host = bracketed[1];
    portText = bracketed[2];
  } else {
    const colon = trimmed.lastIndexOf(':');
    if (colon <= 0 || trimmed.indexOf(':') !== colon) {
      throw new Error(`"${text}" is not HOST:PORT (write IPv6 addresses as [::1]:PORT)`);
    }
    host = trimmed.slice(0, colon);
    portText = trimmed.slice(colon + 1);
  }
  if (!/^\d+$/.test(portText)) throw new Error(`"${text}" has no valid port`);
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !allowAnyPort)) throw new Error(`port ${port} in "${text}" is out of range 1-65535`);
  if (host.length === 0) throw new Error(`"${text}" has no host`);
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}
