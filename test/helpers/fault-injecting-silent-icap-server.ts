import net from 'node:net';

export interface FaultInjectingSilentIcapServer {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Request bytes received so far, over all connections. */
  readonly bytesReceived: number;
  close(): Promise<void>;
}

/**
 * A FAULT-INJECTING fake ICAP server (NOT a real server): it accepts connections, reads whatever the
 * client sends, and never answers — the hung appliance a real c-icap will not imitate on demand.
 * Real ICAP behaviour is always tested against c-icap (scripts/test-servers/c-icap.ts).
 */
export async function startFaultInjectingSilentIcapServer(): Promise<FaultInjectingSilentIcapServer> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  let bytesReceived = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      bytesReceived += chunk.length;
    });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fault-injecting ICAP server: no TCP address');
  return {
    port: address.port,
    get accepted() {
      return accepted;
    },
    get bytesReceived() {
      return bytesReceived;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
