// ioredis' own connector listens for a socket's errors with once(): a TLS socket that fails twice (a
// refused certificate, then the server's alert read after it) emits the second error with no listener,
// and an unhandled 'error' would bring the whole proxy down (ioredis PRs #961/#962, closed unmerged).
// This connector opens the same TCP or TLS socket and keeps one listener on it for its whole life;
// ioredis still receives the first error through its own listeners and reconnects as usual.
import net from 'node:net';
import tls from 'node:tls';
import { AbstractConnector, type RedisOptions } from 'ioredis';

type Stream = net.Socket | tls.TLSSocket;

export class GuardedConnector extends AbstractConnector {
  private readonly options: RedisOptions;

  // ioredis passes its whole options object (typed `unknown` in ConnectorConstructor).
  constructor(options: unknown) {
    const redisOptions = options as RedisOptions;
    super(redisOptions.disconnectTimeout ?? 2000);
    this.options = redisOptions;
  }

  connect(): Promise<Stream> {
    this.connecting = true;
    const { tls: tlsOptions } = this.options;
    const address = { host: this.options.host ?? 'localhost', port: this.options.port ?? 6379, ...(this.options.family !== undefined ? { family: this.options.family } : {}) };
    // As ioredis' StandaloneConnector: the socket is created on the next tick and handed over at once.
    return new Promise((resolve, reject) => {
      process.nextTick(() => {
        if (!this.connecting) {
          reject(new Error('Connection is closed.'));
          return;
        }
        let stream: Stream;
        try {
          stream = typeof tlsOptions === 'object' ? tls.connect({ ...address, ...tlsOptions }) : net.createConnection(address);
        } catch (error) {
          reject(error as Error);
          return;
        }
        stream.once('error', (error: Error) => {
          this.firstError = error;
        });
        stream.on('error', () => undefined);
        this.stream = stream;
        resolve(stream);
      });
    });
  }
}
