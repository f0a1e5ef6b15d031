// A plain TCP forwarder between the proxy and its upstream that notes when the server's bytes pass,
// without decrypting anything: the times of the first and last server chunk after mark() are when a
// response's first and last bytes reached the proxy (one loopback hop later). Times are
// process.hrtime (CLOCK_MONOTONIC) in ns, comparable with the client's in the same process.
import net from 'node:net';

export interface TimingTap {
  port: number;
  /** From now on, the server's chunks count for firstServerNs / lastServerNs. */
  mark(): void;
  /** The first and last server chunk since mark() (undefined before any). */
  readonly firstServerNs: bigint | undefined;
  readonly lastServerNs: bigint | undefined;
  stop(): Promise<void>;
}

export async function startTimingTap(upstreamPort: number): Promise<TimingTap> {
  let first: bigint | undefined;
  let last: bigint | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: upstreamPort });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    upstream.on('data', (chunk: Buffer) => {
      const now = process.hrtime.bigint();
      first ??= now;
      last = now;
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
    client.pipe(upstream);
    upstream.once('end', () => client.end());
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    mark() {
      first = undefined;
      last = undefined;
    },
    get firstServerNs() {
      return first;
    },
    get lastServerNs() {
      return last;
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
