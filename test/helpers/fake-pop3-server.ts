import net from 'node:net';

/**
 * A fault-injecting fake POP3 server (NOT a real server): it answers the login commands normally and
 * RETR with whatever `retr` writes, to produce failures a real server won't (truncation, garbage,
 * enormous bodies). Real-server behaviour is always tested against Dovecot.
 */
export async function startFakePop3Server(retr: (socket: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write('+OK fake POP3 server ready\r\n');
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let lf = pending.indexOf('\n'); lf >= 0; lf = pending.indexOf('\n')) {
        const command = pending.slice(0, lf).trim().toUpperCase();
        pending = pending.slice(lf + 1);
        if (command.startsWith('RETR')) retr(socket);
        else if (command === 'QUIT') socket.end('+OK bye\r\n');
        else socket.write('+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A RETR answer of `totalBytes` of 1 KiB lines, written with backpressure (for bodies too large to hold). */
export function writeHugeRetr(socket: net.Socket, totalBytes: number): void {
  socket.write(`+OK ${totalBytes} octets\r\n`);
  const block = Buffer.from(`${'y'.repeat(1022)}\r\n`.repeat(256), 'latin1');
  let sent = 0;
  const pump = (): void => {
    while (sent < totalBytes) {
      sent += block.length;
      if (!socket.write(block)) return void socket.once('drain', pump);
    }
    socket.write('.\r\n');
  };
  pump();
}
