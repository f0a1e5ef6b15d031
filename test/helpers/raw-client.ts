import net from 'node:net';
import tls from 'node:tls';

/** A bare socket client for protocol-level assertions: collects everything received as text. */
export class RawClient {
  private received = '';
  private receivedBytes = 0;
  private waiters: (() => void)[] = [];
  private ended = false;

  /** counting: keep only a byte count and the last bytes, for bodies too large to hold as text. */
  private constructor(
    private socket: net.Socket,
    private readonly counting = false,
  ) {
    this.listen(socket);
  }

  static async countingConnect(port: number): Promise<RawClient> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket, true);
  }

  /** Counting mode: waits until at least `bytes` arrived and the stream ends with `tail`; returns the count. */
  async waitForBytes(bytes: number, tail: string, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.receivedBytes < bytes || !this.received.endsWith(tail)) {
      if (this.ended || Date.now() > deadline) throw new Error(`got ${this.receivedBytes} bytes, ending ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.receivedBytes;
  }

  static connect(port: number, options: { tls?: { ca: string; servername?: string } } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = options.tls
        ? tls.connect({ host: '127.0.0.1', port, ca: options.tls.ca, servername: options.tls.servername ?? 'localhost' })
        : net.connect({ host: '127.0.0.1', port });
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Upgrades this connection to TLS (after STARTTLS/STLS) and verifies the proxy's certificate. */
  async startTls(ca: string): Promise<void> {
    this.socket.removeAllListeners('data');
    const secure = tls.connect({ socket: this.socket, ca, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.socket = secure;
    this.listen(secure);
  }

  /** Waits until the text received after offset `from` matches, and returns that text. */
  async waitFor(pattern: RegExp, { from = 0, timeoutMs = 10_000 } = {}): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.received.slice(from))) {
      if (this.ended) throw new Error(`connection ended before ${pattern}; received: ${JSON.stringify(this.received)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; received: ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received.slice(from);
  }

  /** Waits for the peer to close, returning everything received. */
  async waitForEnd(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error(`connection still open; received: ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received;
  }

  text(): string {
    return this.received;
  }

  /** Forgets what was received so far, so long sessions do not re-scan old text. */
  clear(): void {
    this.received = '';
  }

  close(): void {
    this.socket.destroy();
  }

  private listen(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.receivedBytes += chunk.length;
      this.received = this.counting ? (this.received + chunk.subarray(-64).toString('latin1')).slice(-64) : this.received + chunk.toString('latin1');
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}
