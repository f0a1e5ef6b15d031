// Reads the first line a server sends on connect, over plain TCP or implicit TLS (certificate
// not checked: this only proves which process owns the port, not who it claims to be).
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface GreetingTarget {
  host: string;
  port: number;
  tls: boolean;
  timeoutMs: number;
  /** Gives up early (rejects) when aborted. */
  signal?: AbortSignal;
}

/** Resolves the first line (without CRLF); rejects on connect error, early close or timeout. */
export function readGreeting({ host, port, tls, timeoutMs, signal }: GreetingTarget): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = tls
      ? tlsConnect({ host, port, rejectUnauthorized: false, servername: 'localhost' })
      : netConnect({ host, port });
    let received = Buffer.alloc(0);
    let settled = false;
    const onAbort = (): void => finish(new Error(`gave up waiting for a greeting from ${host}:${port}`));
    const finish = (error: Error | undefined, line?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve(line ?? '');
    };
    const timer = setTimeout(() => finish(new Error(`no greeting from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n');
      if (end >= 0) finish(undefined, received.subarray(0, end).toString('latin1'));
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error(`${host}:${port} closed before sending a greeting`)));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
