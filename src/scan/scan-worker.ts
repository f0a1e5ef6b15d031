// What a scan worker thread does (its entry is scan-worker-entry.ts): the CPU side of scanning (MIME
// walk, engines, archives, rendering) runs there so the proxy's event loop keeps serving other
// sessions while a large message is scanned.
import type { BodyContext } from '../types/body-context.js';
import { createInspector, policyFrom, type ScanWorkerData } from './create-inspector.js';
import { createEvaluator, type Evaluation, type SourceEvaluator } from './evaluate.js';
import { receivedShared, toSharedBuffer } from './shared-buffer.js';
import { sharedMemory } from './shared-memory-collection.js';
import type { VerdictRecord } from '../store/verdicts.js';
import { analysisConfigured } from './analysis/hold-deadline.js';
import { knownVerdicts, type KnownPart, type SizeFilter, type VerdictLookup } from './analysis/known-parts.js';
import { spilledSource, type SpilledFileMessage } from './read-spilled.js';
import type { EvaluationInput } from './message-input.js';
import { KnownHashFilter } from './analysis/known-hash-filter.js';

export type ScanRequest =
  /** The body on shared memory (`bytes`), or the spool file of a spilled body that this thread reads (`file`, opened and closed by the pool). */
  | { type: 'scan'; id: number; bytes?: Uint8Array; file?: SpilledFileMessage; context: BodyContext; known?: readonly KnownPart[]; pooled?: boolean }
  | { type: 'config'; data: ScanWorkerData }
  | { type: 'verdict'; lookup: number; record?: VerdictRecord }
  /** A bigger filter of the store's SHA-256s replaces the one this worker has. */
  | { type: 'known-hashes'; buffer: SharedArrayBuffer }
  /** Pooled segments of these many bytes left the pool: this thread's handles to them are worth collecting now. */
  | { type: 'segments-dropped'; bytes: number };
export type ScanReply =
  | { id: number; ok: true; evaluation: Evaluation }
  | { id: number; ok: false; message: string }
  /** A verdict-store lookup the pool answers with a 'verdict' request. */
  | { lookup: number; sha256: string };

/** The worker's side of its channel to the pool (parentPort). */
export interface ScanPort {
  on(event: 'message', listener: (request: ScanRequest) => void): unknown;
  /** `transfer`: buffers that move to the pool's thread (this thread can no longer read them). */
  postMessage(reply: ScanReply, transfer?: ArrayBuffer[]): void;
}

interface Built {
  evaluate: SourceEvaluator;
  close(): Promise<void>;
  /** Scans still running with this configuration; its engines close after them. */
  running: Set<Promise<unknown>>;
}

async function build(data: ScanWorkerData, lookup: VerdictLookup, mayHoldSize: SizeFilter): Promise<Built> {
  const { inspector, close } = await createInspector(data.config, data.dataDir, data.engineNames);
  const verdicts = data.verdicts ? knownVerdicts(data.config.analysis, lookup, analysisConfigured(data.config), mayHoldSize) : undefined;
  return { evaluate: createEvaluator(inspector, policyFrom(data.config), verdicts, renderedOutput), close, running: new Set() };
}

/** Answers the pool's scan requests on `port`, following the configurations it sends. */
export function serveScans(port: ScanPort, data: ScanWorkerData): void {
  // The worker loads no SQLite: the pool looks a part's SHA-256 up in the verdict store (one indexed
  // read on the main thread, a message each way), while this thread walks and hashes the parts. It
  // asks only when the filter of the store's SHA-256s says the store may hold it.
  let known = data.knownHashes ? new KnownHashFilter(data.knownHashes) : undefined;
  let nextLookup = 0;
  const lookups = new Map<number, (record: VerdictRecord | undefined) => void>();
  const ask = (sha256: string) =>
    new Promise<VerdictRecord | undefined>((resolve) => {
      const id = ++nextLookup;
      lookups.set(id, resolve);
      port.postMessage({ lookup: id, sha256 });
    });
  const lookup: VerdictLookup = (sha256) => (known && !known.mayContain(sha256) ? undefined : ask(sha256));
  // The same filter knows the sizes of the parts the stored verdicts are about: a part of another size is not hashed.
  const mayHoldSize: SizeFilter = (size) => !known || known.mayHoldSize(size);
  // Scans wait for a configuration being built, so each one runs wholly with one configuration.
  let current = build(data, lookup, mayHoldSize);

  const replaceConfiguration = (next: ScanWorkerData): void => {
    const previous = current;
    // A configuration whose engines cannot be built leaves the previous one in force.
    const fresh = build(next, lookup, mayHoldSize).catch(() => previous);
    current = fresh;
    void Promise.all([previous, fresh]).then(async ([old, built]) => {
      if (old === built) return;
      await Promise.allSettled(old.running);
      await old.close();
    });
  };

  port.on('message', (request) => {
    if (request.type === 'config') return replaceConfiguration(request.data);
    if (request.type === 'segments-dropped') return sharedMemory.mayHold(request.bytes);
    if (request.type === 'known-hashes') {
      known = new KnownHashFilter(request.buffer);
      return;
    }
    if (request.type === 'verdict') {
      lookups.get(request.lookup)?.(request.record);
      lookups.delete(request.lookup);
      return;
    }
    const { bytes, file } = request;
    // A pooled body's memory is kept by the pool, which reuses it once this thread replied: it is never
    // freed by this thread's collection, so there is nothing to collect it for.
    if (!request.pooled) receivedShared(bytes ?? file?.tail);
    const inMemory = bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.alloc(0);
    scanBody(current, file ?? inMemory, request.context, request.known).then(
      (evaluation) => {
        const reply = replyBytes(evaluation);
        port.postMessage({ id: request.id, ok: true, evaluation: reply.evaluation }, reply.transfer);
      },
      (error: Error) => port.postMessage({ id: request.id, ok: false, message: error.message }),
    );
  });
}

/**
 * A spilled body is scanned from its file, read in slices as the walk and the parts ask (never whole
 * unless the message is rewritten). The file's descriptor is the pool's: this thread never closes it.
 */
async function scanBody(current: Promise<Built>, body: Buffer | SpilledFileMessage, context: BodyContext, known: readonly KnownPart[] | undefined): Promise<Evaluation> {
  const built = await current;
  return scan(built, Buffer.isBuffer(body) ? body : spilledSource(body), context, known);
}

function scan(built: Built, input: EvaluationInput, context: BodyContext, known: readonly KnownPart[] | undefined): Promise<Evaluation> {
  const running = built.evaluate(input, context, { known });
  built.running.add(running);
  void running.finally(() => built.running.delete(running)).catch(() => undefined);
  return running;
}

/**
 * Where a rewrite is rendered: memory of its own that moves to the pool's thread with the reply (transferred,
 * not copied). Shared memory would be freed only once both threads ran a full collection, which V8 does not
 * count towards its heuristics: a fresh segment per rewritten message forced one on each thread about every
 * second infected fetch (shared-memory-collection.ts). A transferred buffer is ordinary external memory on
 * the receiving thread, freed by its next scavenge once the delivery dropped it.
 */
const renderedOutputs = new WeakSet<ArrayBuffer>();

function renderedOutput(length: number): Buffer {
  // allocUnsafeSlow: a buffer of its own, never a slice of Node's shared pool (which must not be transferred).
  const bytes = Buffer.allocUnsafeSlow(length);
  renderedOutputs.add(bytes.buffer as ArrayBuffer);
  return bytes;
}

/**
 * The reply's bytes as they cross to the pool's thread: a rewrite rendered into renderedOutput() moves
 * there; any other bytes (submissions, a rewrite that kept the input's bytes) are copied to shared memory
 * here, not on the proxy's event loop.
 */
function replyBytes(evaluation: Evaluation): { evaluation: Evaluation; transfer: ArrayBuffer[] } {
  const submissions = evaluation.submissions?.map((submission) => ({ ...submission, content: toSharedBuffer(submission.content) }));
  const shared = submissions ? { ...evaluation, submissions } : evaluation;
  if (!shared.rewritten) return { evaluation: shared, transfer: [] };
  const { bytes } = shared.rewritten;
  const output = bytes.buffer as ArrayBuffer;
  if (renderedOutputs.has(output)) {
    renderedOutputs.delete(output);
    return { evaluation: shared, transfer: [output] };
  }
  return { evaluation: { ...shared, rewritten: { ...shared.rewritten, bytes: toSharedBuffer(bytes) } }, transfer: [] };
}
