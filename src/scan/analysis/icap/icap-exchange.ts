// One ICAP request/response on a fresh connection: write the initial bytes, send the rest of the
// body when the server says "100 Continue", resolve with the final response. Within a deadline and
// abortable; the parser caps what is read, and the connection is closed after each exchange.
import { createConnection, type Socket } from 'node:net';
import { IcapError, IcapProtocolError, IcapTimeoutError } from './icap-errors.js';
import { IcapResponseParser, type IcapParserLimits, type IcapResponse } from './icap-response-parser.js';

export interface IcapExchangeInput {
  host: string;
  port: number;
  initial: Buffer[];
  afterContinue?: Buffer[];
  timeoutMs: number;
  signal?: AbortSignal;
  limits?: IcapParserLimits;
}

const SINGLE_WRITE_BYTES = 256 * 1024;

/** Resolves once the kernel took the buffer (true) or the write failed (false). */
function written(socket: Socket, bytes: Buffer): Promise<boolean> {
  return new Promise((resolve) => socket.write(bytes, (err) => resolve(!err)));
}

export function icapExchange(input: IcapExchangeInput): Promise<IcapResponse> {
  const where = `${input.host}:${input.port}`;
  return new Promise<IcapResponse>((resolve, reject) => {
    if (input.signal?.aborted) {
      reject(new IcapError(`ICAP request to ${where} aborted before it started`));
      return;
    }
    const parser = new IcapResponseParser(input.limits);
    const socket = createConnection({ host: input.host, port: input.port });
    let settled = false;
    let continued = false;

    const finish = (error: Error | undefined, response?: IcapResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      input.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error || !response) reject(error ?? new IcapError(`ICAP server at ${where} gave no response`));
      else resolve(response);
    };
    const onAbort = (): void => finish(new IcapError(`ICAP request to ${where} aborted`));
    input.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => finish(new IcapTimeoutError(`ICAP server at ${where} did not answer within ${input.timeoutMs} ms`)), input.timeoutMs);

    // A small request goes out in one write: a server that answers early (404, 403) and closes then
    // has read it all, so our write cannot run into its closed connection and hide the answer.
    const send = async (buffers: Buffer[]): Promise<void> => {
      const total = buffers.reduce((sum, b) => sum + b.length, 0);
      for (const buffer of total <= SINGLE_WRITE_BYTES ? [Buffer.concat(buffers, total)] : buffers) {
        if (settled || !socket.writable) return;
        if (!(await written(socket, buffer))) return;
      }
    };

    socket.on('data', (bytes: Buffer) => {
      let events;
      try {
        events = parser.push(bytes);
      } catch (err) {
        finish(err instanceof IcapProtocolError ? new IcapProtocolError(`ICAP server at ${where}: ${err.message}`) : (err as Error));
        return;
      }
      for (const event of events) {
        if (event.kind === 'response') return finish(undefined, event.response);
        if (!continued && input.afterContinue && input.afterContinue.length > 0) {
          continued = true;
          void send(input.afterContinue);
        }
      }
    });
    socket.on('error', (err) => finish(new IcapError(`ICAP server at ${where}: ${err.message}`)));
    socket.on('close', () => finish(new IcapError(`ICAP server at ${where} closed the connection without a complete response`)));
    socket.once('connect', () => void send(input.initial));
  });
}
