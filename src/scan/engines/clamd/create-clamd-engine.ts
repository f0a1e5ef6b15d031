// Content engine backed by a clamd daemon (INSTREAM over TCP or a Unix socket). Each scan opens its
// own connection; at most maxConcurrent scans talk to clamd at once, the rest wait their turn.
//
// Size limit: when streamMaxLength (clamd's StreamMaxLength) is given, a larger file is not sent at
// all and yields the 'limit' finding right away, saving the transfer that clamd would refuse anyway.
// Without it the file is sent and clamd's "size limit exceeded" answer gives the same finding. clamd
// closes the connection right after that answer, and the close can destroy the answer while we are
// still writing; then a size probe (a chunk header alone, see instreamSizeProbe) asks again.
import type { Finding } from '../../../types/verdict.js';
import type { ContentEngine, ContentInfo, ContentStream } from '../../types.js';
import { findingLocation } from '../finding-location.js';
import { describeAddress, type ClamdAddress } from './clamd-address.js';
import { ClamdDroppedError, ClamdError } from './clamd-errors.js';
import { clamdExchange } from './clamd-exchange.js';
import { command, DEFAULT_CHUNK_BYTES, instreamFrames, instreamSizeProbe } from './instream-frames.js';
import { InstreamQueue } from './instream-queue.js';
import { parseInstreamReply } from './instream-reply.js';
import { Semaphore } from '../../semaphore.js';

export const SIZE_LIMIT_FINDING = 'ClamAV.SizeLimitExceeded';
const DEFAULT_MAX_CONCURRENT = 4;
const DEFAULT_TIMEOUT_MS = 30_000;
/** clamd answers an oversized chunk header at once; silence means the size was not the problem. */
const SIZE_PROBE_TIMEOUT_MS = 2_000;

export interface ClamdEngineOptions {
  address: ClamdAddress;
  /** Concurrent INSTREAM connections (default 4). */
  maxConcurrent?: number;
  /** Per scan, from the moment it gets its turn (default 30 s); ping and version use it too. */
  timeoutMs?: number;
  /** clamd's StreamMaxLength in bytes; larger files are reported as a limit finding without sending. */
  streamMaxLength?: number;
  chunkBytes?: number;
}

export interface ClamdEngine extends ContentEngine {
  readonly name: 'clamd';
  readonly address: ClamdAddress;
  /** Resolves when clamd answers PING with PONG; rejects with the reason otherwise. */
  ping(): Promise<void>;
  /** clamd's VERSION line, e.g. "ClamAV 1.4.6/27000/...". */
  version(): Promise<string>;
  /** Scans talking to clamd now, scans waiting for a turn, and the most that ever talked at once. */
  readonly load: { active: number; waiting: number; peak: number };
}

export function createClamdEngine(options: ClamdEngineOptions): ClamdEngine {
  const { address } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const turns = new Semaphore(options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT);
  let closed = false;

  const scan = async (content: Buffer, info: ContentInfo): Promise<Finding[]> => {
    if (closed) throw new ClamdError('the clamd engine is closed');
    const location = findingLocation(info);
    const limitFinding: Finding = { engine: 'clamd', name: SIZE_LIMIT_FINDING, kind: 'limit', location };
    if (options.streamMaxLength !== undefined && content.length > options.streamMaxLength) return [limitFinding];
    const release = await turns.acquire();
    let reply: string;
    try {
      reply = await clamdExchange(address, instreamFrames(content, chunkBytes), timeoutMs);
    } catch (err) {
      if (err instanceof ClamdDroppedError && (await exceedsStreamLimit(content.length))) return [limitFinding];
      throw err;
    } finally {
      release();
    }
    return findingsOf(reply, location);
  };

  // The same scan with the file handed in slice by slice, sent as it comes once this scan has its turn.
  // Its size is known at the end: past streamMaxLength the sending stops and the limit finding is the answer.
  const open = (info: ContentInfo): ContentStream | undefined => {
    if (closed) return undefined;
    const location = findingLocation(info);
    const limitFinding: Finding = { engine: 'clamd', name: SIZE_LIMIT_FINDING, kind: 'limit', location };
    const queue = new InstreamQueue(chunkBytes);
    const giveUp = new AbortController();
    let overLimit = false;
    const exchange = (async () => {
      const release = await turns.acquire();
      try {
        if (giveUp.signal.aborted) throw new ClamdError('the scan was given up');
        return await clamdExchange(address, queue, timeoutMs, giveUp.signal);
      } finally {
        queue.stop();
        release();
      }
    })();
    // Settled by end() or abort(); an early failure must not be an unhandled rejection meanwhile.
    exchange.catch(() => undefined);
    return {
      async write(slice) {
        if (overLimit) return;
        if (options.streamMaxLength !== undefined && queue.length + slice.length > options.streamMaxLength) {
          overLimit = true;
          giveUp.abort();
          return;
        }
        await queue.write(slice);
      },
      async end() {
        if (overLimit) return [limitFinding];
        queue.end();
        let reply: string;
        try {
          reply = await exchange;
        } catch (err) {
          if (err instanceof ClamdDroppedError && (await exceedsStreamLimit(queue.length))) return [limitFinding];
          throw err;
        }
        return findingsOf(reply, location);
      },
      abort() {
        giveUp.abort();
      },
    };
  };

  const exceedsStreamLimit = async (length: number): Promise<boolean> => {
    try {
      const reply = await clamdExchange(address, instreamSizeProbe(length), Math.min(timeoutMs, SIZE_PROBE_TIMEOUT_MS));
      return parseInstreamReply(reply).kind === 'size-limit';
    } catch {
      return false;
    }
  };

  const ping = async (): Promise<void> => {
    const reply = (await clamdExchange(address, [command('PING')], timeoutMs)).trim();
    if (reply !== 'PONG') throw new ClamdError(`clamd at ${describeAddress(address)} answered PING with '${reply}'`);
  };

  const version = async (): Promise<string> => (await clamdExchange(address, [command('VERSION')], timeoutMs)).trim();

  return {
    name: 'clamd',
    address,
    scan,
    open,
    ping,
    version,
    get load() {
      return turns.stats;
    },
    close: async () => {
      closed = true;
    },
  };
}

function findingsOf(reply: string, location: string[]): Finding[] {
  const result = parseInstreamReply(reply);
  if (result.kind === 'size-limit') return [{ engine: 'clamd', name: SIZE_LIMIT_FINDING, kind: 'limit', location }];
  if (result.kind === 'clean') return [];
  return result.names.map((name) => ({ engine: 'clamd', name, kind: 'signature', location }));
}
