import { spawn } from 'node:child_process';
import net from 'node:net';

/** socat TLS→TLS relay as TEST-INFRA.md describes it (nodelay on both sides), presenting certPath/keyPath. */
export async function startSocatRelay(options: { listenPort: number; upstreamPort: number; certPath: string; keyPath: string; caPath: string }): Promise<{ pid: number; stop(): void }> {
  const child = spawn(
    'socat',
    [
      '-b',
      '262144',
      `OPENSSL-LISTEN:${options.listenPort},bind=127.0.0.1,reuseaddr,fork,nodelay,cert=${options.certPath},key=${options.keyPath},verify=0`,
      `OPENSSL:127.0.0.1:${options.upstreamPort},nodelay,cafile=${options.caPath},commonname=localhost`,
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 5_000;
  while (!(await accepts(options.listenPort))) {
    if (Date.now() > deadline) throw new Error('socat did not start listening');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { pid: child.pid as number, stop: () => child.kill('SIGTERM') };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}
