// Free loopback TCP ports: bind port 0 several times at once (so the ports are distinct), note
// the ports, close. Another process may still grab one before the server binds it; callers retry.
import { createServer, type Server } from 'node:net';

function listenOnFreePort(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listenOnFreePort(host));
    return servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string') throw new Error('freePorts: listener has no TCP address');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map(close));
  }
}
