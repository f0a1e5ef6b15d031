// Reads CRLF-terminated lines (and POP3 multi-line blocks) from a socket, for doctor's own small
// dialogues: the upstream probe and the POP3 self-test client. Every wait has a deadline.
import type { Socket } from 'node:net';
import { DotUnstuffer } from '../pop3/dot-stuffing.js';

const MAX_BUFFERED = 64 * 1024 * 1024;
const CRLF = Buffer.from('\r\n');

export class LineReader {
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private ended: Error | undefined;
  private readonly onData = (chunk: Buffer): void => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    if (this.buffered.length > MAX_BUFFERED) this.finish(new Error('the server sent more than 64 MiB without the expected end'));
    this.waiter?.();
  };
  private readonly onEnd = (): void => this.finish(new Error('the server closed the connection'));
  private readonly onError = (error: Error): void => this.finish(error);

  constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  /** One line without its CRLF. */
  async line(): Promise<string> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const at = this.buffered.indexOf(CRLF);
      if (at >= 0) {
        const text = this.buffered.subarray(0, at).toString('latin1');
        this.buffered = this.buffered.subarray(at + 2);
        return text;
      }
      await this.more(deadline);
    }
  }

  /** A POP3 multi-line block after its status line: dot-stuffing undone, terminator removed (RFC 1939 §3). */
  async multiLine(): Promise<Buffer> {
    const deadline = Date.now() + this.timeoutMs;
    const unstuffer = new DotUnstuffer();
    const parts: Buffer[] = [];
    for (;;) {
      const { content, end, done } = unstuffer.push(this.buffered);
      if (content) parts.push(Buffer.from(content));
      this.buffered = this.buffered.subarray(end);
      if (done) return Buffer.concat(parts);
      await this.more(deadline);
    }
  }

  /** Stops reading, so the socket can be handed to TLS (STARTTLS / STLS); nothing may be buffered. */
  detach(): void {
    if (this.buffered.length > 0) throw new Error('the server sent data before the TLS handshake');
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
  }

  /** Waits for the next chunk; throws when the connection ended or the deadline passed. */
  private async more(deadline: number): Promise<void> {
    if (this.ended) throw this.ended;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no answer within ${this.timeoutMs / 1000} s`);
    const before = this.buffered.length;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.waiter = undefined;
    if (this.buffered.length === before && this.ended) throw this.ended;
  }

  private finish(error: Error): void {
    this.ended ??= error;
    this.waiter?.();
  }
}
