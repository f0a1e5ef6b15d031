// Analysis backend that asks an ICAP service (RFC 3507) about one part: a RESPMOD wrapping the
// part's decoded bytes as the body of an HTTP response, Allow: 204, with a Preview when the
// service asked for one in its OPTIONS answer (cached for its Options-TTL). At most maxConcurrent
// requests talk to the server at once; each has its own connection, timeout and abort signal.
// analyse() rejects only when its signal aborts: an unreachable, slow or misbehaving server gives verdict 'error'.
import { Semaphore } from '../../semaphore.js';
import { IcapError, IcapTimeoutError } from './icap-errors.js';
import { icapExchange } from './icap-exchange.js';
import { parseOptionsResponse, type IcapServiceOptions } from './icap-options.js';
import { encodeOptions, encodeRespmod } from './icap-requests.js';
import { parseIcapUrl } from './icap-url.js';
import type { AnalyseOptions, AnalysisBackend, AnalysisResult } from '../types.js';
import { verdictOf } from './icap-verdict.js';

export interface IcapBackendOptions {
  /** icap://host[:port]/service, e.g. icap://127.0.0.1:1344/srv_clamav */
  url: string;
  /** Name in results (default 'icap'). */
  name?: string;
  /** Per request, from the moment it gets its turn (default 60 s). */
  timeoutMs?: number;
  /** Requests talking to the server at once (default 4). */
  maxConcurrent?: number;
  /** 'server' (default): the Preview size from OPTIONS; 'off': never a preview; a number: that size. */
  preview?: 'server' | 'off' | number;
  /** Cap on the de-chunked body of a response beyond the part's own size (default 1 MiB). */
  maxExtraResponseBytes?: number;
}

export interface IcapBackend extends AnalysisBackend {
  readonly url: string;
  /** OPTIONS, answered from the cache while its Options-TTL runs. Rejects with IcapError. */
  options(): Promise<IcapServiceOptions>;
  readonly load: { active: number; waiting: number; peak: number };
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_CONCURRENT = 4;
const DEFAULT_EXTRA_RESPONSE_BYTES = 1024 * 1024;
const OPTIONS_BODY_CAP = 64 * 1024;

export function createIcapBackend(config: IcapBackendOptions): IcapBackend {
  const target = parseIcapUrl(config.url);
  const name = config.name ?? 'icap';
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const preview = config.preview ?? 'server';
  const extra = config.maxExtraResponseBytes ?? DEFAULT_EXTRA_RESPONSE_BYTES;
  const turns = new Semaphore(config.maxConcurrent ?? DEFAULT_MAX_CONCURRENT);
  let cached: { options: IcapServiceOptions; until: number } | undefined;

  const fetchOptions = async (signal?: AbortSignal, budgetMs = timeoutMs): Promise<IcapServiceOptions> => {
    if (cached && Date.now() < cached.until) return cached.options;
    const response = await icapExchange({
      host: target.host,
      port: target.port,
      initial: [encodeOptions(target)],
      timeoutMs: budgetMs,
      signal,
      limits: { maxBodyBytes: OPTIONS_BODY_CAP },
    });
    const options = parseOptionsResponse(response);
    if (!options.methods.includes('RESPMOD')) throw new IcapError(`ICAP service ${target.uri} does not offer RESPMOD (Methods: ${options.methods.join(', ') || 'none'})`);
    cached = { options, until: options.ttlSeconds === undefined ? Infinity : Date.now() + options.ttlSeconds * 1000 };
    return options;
  };

  const previewBytes = async (signal: AbortSignal | undefined, budgetMs: number): Promise<number | undefined> => {
    if (preview === 'off') return undefined;
    if (typeof preview === 'number') return preview;
    return (await fetchOptions(signal, budgetMs)).preview;
  };

  const analyse = async (content: Buffer, info: AnalyseOptions = {}): Promise<AnalysisResult> => {
    let release: (() => void) | undefined;
    try {
      release = await turns.acquire(info.signal);
      // One deadline for the whole analysis, OPTIONS included.
      const deadline = Date.now() + timeoutMs;
      const request = encodeRespmod({ target, content, name: info.name ?? 'part', previewBytes: await previewBytes(info.signal, timeoutMs) });
      const response = await icapExchange({
        host: target.host,
        port: target.port,
        initial: request.initial,
        afterContinue: request.afterContinue,
        timeoutMs: Math.max(1, deadline - Date.now()),
        signal: info.signal,
        limits: { expectBody: content, maxBodyBytes: content.length + extra },
      });
      const { error, ...verdict } = verdictOf(response);
      return { ...verdict, backend: name, ...(error === undefined ? {} : { detail: error }) };
    } catch (err) {
      // An abort is the caller's decision, not a verdict: settle as every analysis backend does (types.ts).
      if (info.signal?.aborted) throw info.signal.reason;
      // The exchange knows only the budget left to it; the caller knows the analysis timeout.
      const message = err instanceof IcapTimeoutError ? `ICAP server at ${target.host}:${target.port} did not answer within ${timeoutMs} ms` : err instanceof Error ? err.message : String(err);
      return { verdict: 'error', backend: name, detail: message };
    } finally {
      release?.();
    }
  };

  return {
    name,
    url: target.uri,
    options: () => fetchOptions(),
    analyse,
    get load() {
      return turns.stats;
    },
  };
}
