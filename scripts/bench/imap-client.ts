import tls from 'node:tls';

// A lean IMAPS client for benchmarks: no parsing beyond what is needed to skip literals and find the
// tagged completion, so the client's own cost stays small next to what is measured.

export interface ImapTarget {
  port: number;
  ca: string;
}

export class LeanImapClient {
  private buffer = Buffer.alloc(0);
  private literalLeft = 0;
  private waiting: { tag: string; resolve: (text: string) => void; reject: (error: Error) => void; bodyBytes: number; lines: string[]; continuation?: boolean; firstDataNs?: bigint } | undefined;
  /** When the chunk being handled arrived (process.hrtime, ns). */
  private chunkNs = 0n;
  private tagCounter = 0;
  /** Bytes received from the peer so far (after TLS). */
  receivedBytes = 0;

  private constructor(private readonly socket: tls.TLSSocket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.waiting?.reject(error));
  }

  static async connect(target: ImapTarget, user: string, password: string): Promise<LeanImapClient> {
    const socket = tls.connect({ host: '127.0.0.1', port: target.port, ca: target.ca, servername: 'localhost' });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const client = new LeanImapClient(socket);
    await client.untilGreeting();
    await client.command(`LOGIN ${user} ${password}`);
    await client.command('SELECT INBOX');
    return client;
  }

  /**
   * Runs one command; resolves with the number of literal bytes received before its tagged OK, and when
   * (process.hrtime, ns) the first byte of the answer and its last arrived.
   */
  command(text: string): Promise<{ bodyBytes: number; lines: string[]; firstDataNs: bigint; lastDataNs: bigint }> {
    const tag = `b${++this.tagCounter}`;
    return new Promise((resolve, reject) => {
      const waiting: NonNullable<LeanImapClient['waiting']> = {
        tag,
        bodyBytes: 0,
        lines: [] as string[],
        reject,
        resolve: () => resolve({ bodyBytes: waiting.bodyBytes, lines: waiting.lines, firstDataNs: waiting.firstDataNs ?? this.chunkNs, lastDataNs: this.chunkNs }),
      };
      this.waiting = waiting;
      this.socket.write(`${tag} ${text}\r\n`);
    });
  }

  /** Sends IDLE (RFC 2177) and resolves at the server's continuation: the session is then idling. */
  idle(): Promise<void> {
    const tag = `b${++this.tagCounter}`;
    return new Promise((resolve, reject) => {
      this.waiting = { tag, bodyBytes: 0, lines: [], resolve: () => resolve(), reject, continuation: true };
      this.socket.write(`${tag} IDLE\r\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private untilGreeting(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting = { tag: '*', bodyBytes: 0, lines: [], resolve: () => resolve(), reject };
      this.onData(Buffer.alloc(0));
    });
  }

  private onData(chunk: Buffer): void {
    this.chunkNs = process.hrtime.bigint();
    if (this.waiting && chunk.length > 0) this.waiting.firstDataNs ??= this.chunkNs;
    this.receivedBytes += chunk.length;
    let data = this.buffer.length > 0 ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (data.length > 0) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, data.length);
        this.literalLeft -= take;
        if (this.waiting) this.waiting.bodyBytes += take;
        data = data.subarray(take);
        continue;
      }
      const lf = data.indexOf(0x0a);
      if (lf < 0) break;
      const line = data.subarray(0, lf + 1).toString('latin1');
      data = data.subarray(lf + 1);
      const literal = /\{(\d+)\}\r\n$/.exec(line);
      if (literal) this.literalLeft = Number(literal[1]);
      const waiting = this.waiting;
      if (!waiting) continue;
      if (!literal && waiting.lines.length < 50) waiting.lines.push(line);
      if (waiting.continuation && line.startsWith('+')) {
        this.waiting = undefined;
        waiting.resolve('');
      } else if (waiting.tag === '*' ? line.startsWith('* OK') : line.startsWith(`${waiting.tag} `)) {
        this.waiting = undefined;
        if (waiting.tag !== '*' && !line.startsWith(`${waiting.tag} OK`)) waiting.reject(new Error(line.trim()));
        else waiting.resolve('');
      }
    }
    this.buffer = Buffer.from(data);
  }
}
