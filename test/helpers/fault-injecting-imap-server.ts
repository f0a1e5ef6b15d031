import net from 'node:net';

export interface FaultInjectingImapServer {
  port: number;
  /** Body bytes written to clients so far. */
  readonly bodyBytesServed: number;
  close(): Promise<void>;
}

/**
 * A FAULT-INJECTING fake IMAP server (NOT a real server), in the manner of a fuzzer's hostile upstream:
 * it accepts any login, and answers any FETCH with `bodies` (one `* n FETCH (UID n BODY[] {…})` per body,
 * all in one response) — whatever the client asked for. It waits for the socket to drain between bodies,
 * so a proxy that stops reading really slows it down. Real-server behaviour is always tested against Dovecot.
 */
export async function startFaultInjectingImapServer(bodies: readonly Buffer[]): Promise<FaultInjectingImapServer> {
  const sockets = new Set<net.Socket>();
  let served = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write('* OK [CAPABILITY IMAP4rev1] fault-injecting IMAP server ready\r\n');
    let pending = '';
    let busy = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let lf = pending.indexOf('\n'); lf >= 0; lf = pending.indexOf('\n')) {
        const line = pending.slice(0, lf).replace(/\r$/, '');
        pending = pending.slice(lf + 1);
        busy = busy.then(() => answer(socket, line)).catch(() => undefined);
      }
    });
  });

  async function answer(socket: net.Socket, line: string): Promise<void> {
    const [tag = '*', command = ''] = line.split(' ');
    switch (command.toUpperCase()) {
      case 'CAPABILITY':
        socket.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`);
        return;
      case 'SELECT':
      case 'EXAMINE':
        socket.write(`* ${bodies.length} EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\n${tag} OK [READ-WRITE] selected\r\n`);
        return;
      case 'FETCH':
      case 'UID':
        for (const [index, body] of bodies.entries()) {
          if (socket.destroyed) return;
          const more = socket.write(Buffer.concat([Buffer.from(`* ${index + 1} FETCH (UID ${index + 1} BODY[] {${body.length}}\r\n`, 'latin1'), body, Buffer.from(')\r\n', 'latin1')]));
          served += body.length;
          if (!more) await new Promise((resolve) => socket.once('drain', resolve));
        }
        socket.write(`${tag} OK fetched\r\n`);
        return;
      case 'LOGOUT':
        socket.end(`* BYE bye\r\n${tag} OK bye\r\n`);
        return;
      default:
        socket.write(`${tag} OK done\r\n`);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get bodyBytesServed() {
      return served;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
