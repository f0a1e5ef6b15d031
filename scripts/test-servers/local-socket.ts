// Small facts about the local machine the test-server launchers share.
import { connect } from 'node:net';
import { tmpdir } from 'node:os';

const HOST = '127.0.0.1';

/** Unix socket paths under a server's base dir must stay below ~108 bytes; a long TMPDIR falls back to /tmp. */
export function tempRoot(): string {
  const root = tmpdir();
  return root.length <= 40 ? root : '/tmp';
}

/** True once something accepts TCP connections on 127.0.0.1:port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
