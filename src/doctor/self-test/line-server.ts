// The loopback server the self-test's IMAP and POP3 dialogues run on: implicit TLS, STARTTLS/STLS or
// plain, as the listener under test talks to its upstream. One dialogue object per connection.
import net from 'node:net';
import tls from 'node:tls';
import type { LeafPem } from '../../ca/leaf.js';
import type { TlsMode } from '../../types/tls-mode.js';

export interface Reply {
  bytes: Buffer | string;
  /** After the reply: start TLS on this connection (STARTTLS / STLS), or close it. */
  then?: 'start-tls' | 'close';
}

export interface Dialogue {
  greeting(): string;
  /** One command line from the client, without CRLF. */
  command(line: string): Reply;
}

export interface LineServer {
  port: number;
  /** Commands received, for the report when something fails. */
  commands: string[];
  close(): Promise<void>;
}

const MAX_LINE = 64 * 1024;

export function startLineServer(mode: TlsMode, certificate: LeafPem, newDialogue: (tlsActive: () => boolean) => Dialogue): Promise<LineServer> {
  const commands: string[] = [];
  const credentials = { cert: certificate.certPem, key: certificate.keyPem };
  const secureContext = tls.createSecureContext(credentials);
  const sockets = new Set<net.Socket>();
  const serve = (socket: net.Socket, encrypted: boolean): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let secure = encrypted;
    const dialogue = newDialogue(() => secure);
    let pending = Buffer.alloc(0);
    let current: net.Socket = socket;
    const onData = (chunk: Buffer): void => {
      pending = Buffer.concat([pending, chunk]);
      for (let end = pending.indexOf('\r\n'); end >= 0; end = pending.indexOf('\r\n')) {
        const line = pending.subarray(0, end).toString('latin1');
        pending = pending.subarray(end + 2);
        commands.push(line);
        const reply = dialogue.command(line);
        current.write(reply.bytes);
        if (reply.then === 'close') return void current.end();
        if (reply.then === 'start-tls') {
          current.off('data', onData);
          const upgraded = new tls.TLSSocket(current, { isServer: true, secureContext });
          upgraded.on('error', () => upgraded.destroy());
          upgraded.on('secure', () => (secure = true));
          upgraded.on('data', onData);
          sockets.add(upgraded);
          current = upgraded;
          pending = Buffer.alloc(0);
          return;
        }
      }
      if (pending.length > MAX_LINE) current.destroy();
    };
    current.on('data', onData);
    current.write(dialogue.greeting());
  };
  const server =
    mode === 'implicit'
      ? tls.createServer(credentials, (socket) => serve(socket, true))
      : net.createServer((socket) => serve(socket, false));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        commands,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
