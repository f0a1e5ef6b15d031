// The least a Node.js TLS-terminating relay holds per connection: node:tls on both legs, piped, no
// protocol code. The reference for inboxguard's per-session memory (socat forks a process per
// connection, so it is none). Runs as its own process, plain JavaScript (no tsx loaded), with the
// proxy's node flags.
import { spawn } from 'node:child_process';
import { PROXY_NODE_FLAGS } from '../../src/cli/young-generation.js';

export interface NodeTlsRelay {
  port: number;
  pid: number;
  stop(): void;
}

/** argv: CERT KEY CA UPSTREAM_PORT; prints "listening on PORT". */
const RELAY = `
const { readFileSync } = require('node:fs');
const net = require('node:net');
const tls = require('node:tls');
const [certPath, keyPath, caPath, upstreamPort] = process.argv.slice(1);
const own = tls.createSecureContext({ cert: readFileSync(certPath), key: readFileSync(keyPath) });
const trust = tls.createSecureContext({ ca: [...tls.rootCertificates, readFileSync(caPath)] });
const server = net.createServer({ noDelay: true }, (socket) => {
  const client = new tls.TLSSocket(socket, { isServer: true, secureContext: own });
  const upstream = tls.connect({ host: '127.0.0.1', port: Number(upstreamPort), servername: 'localhost', secureContext: trust });
  client.pipe(upstream).pipe(client);
  for (const [one, other] of [[client, upstream], [upstream, client]]) {
    one.on('error', () => other.destroy());
    one.on('close', () => other.destroy());
  }
});
server.listen(0, '127.0.0.1', () => console.log('listening on ' + server.address().port));
`;

export async function startNodeTlsRelay(options: { certPath: string; keyPath: string; caPath: string; upstreamPort: number }): Promise<NodeTlsRelay> {
  const child = spawn(process.execPath, [...PROXY_NODE_FLAGS, '-e', RELAY, options.certPath, options.keyPath, options.caPath, String(options.upstreamPort)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /listening on (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`node TLS relay exited with ${code}`)));
  });
  return { port, pid: child.pid as number, stop: () => child.kill('SIGTERM') };
}
