import { closeSync, openSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Worker, type ResourceLimits, type WorkerOptions } from 'node:worker_threads';
import type { BodyContext } from '../types/body-context.js';
import type { ScanWorkerData } from './create-inspector.js';
import type { Evaluation } from './evaluate.js';
import type { ScanReply } from './scan-worker.js';
import type { KnownPart } from './analysis/known-parts.js';
import type { VerdictRecord } from '../store/verdicts.js';
import type { SpilledFile } from './body-scanner.js';
import type { SpilledFileMessage } from './read-spilled.js';
import type { KnownHashes } from './analysis/known-hashes.js';
import { receivedShared } from './shared-buffer.js';
import { segmentPool, type SegmentPool } from './segment-pool.js';

/** How the bodies went to the workers, for the log and for tests: shared memory, cloned (copied), or as a spool file. */
export const scanPayloads = { shared: 0, cloned: 0, spilledFile: 0 };

interface Job {
  id: number;
  body: Buffer | SpilledFile;
  context: BodyContext;
  known?: readonly KnownPart[];
  resolve(evaluation: Evaluation): void;
  reject(error: Error): void;
}

/** The verdict store as the workers see it: `lookup` answers their questions; `known` lets them skip a question whose answer is "none". */
export interface PoolVerdicts {
  lookup(sha256: string): VerdictRecord | undefined;
  known?: KnownHashes;
}

export interface WorkerPoolStats {
  /** Workers started, the first ones included: every replacement adds one. */
  started: number;
  /** Workers terminated because their job was cancelled (its deadline, or its session ended). */
  cancelled: number;
  /** Workers that threw or exited on their own. */
  crashed: number;
}

/**
 * How long a scan worker may wait for work before it ends. Each worker is a V8 isolate with its own
 * engines and signatures (about 40 MiB); starting one costs the message that needs it about 0.3–1 s,
 * nearly all of it module loading (scripts/bench/worker-cold-start.ts). A mail client's messages come
 * in bursts (new mail, a folder opened), so a burst pays the start once and an idle proxy holds no workers.
 */
export const WORKER_IDLE_EXIT_MS = 5 * 60 * 1000;

/**
 * Up to `size` scan workers, started when a message needs one (and its session has no other message in
 * a worker); each takes one message at a time, the rest wait in order, and a worker with nothing to do
 * for `idleExitMs` ends.
 * A job can be cancelled (its deadline): waiting, it leaves the queue; running, its worker is
 * terminated, so a scan that never ends never holds a worker from later messages.
 */
export class ScanWorkerPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job>();
  private readonly queue: Job[] = [];
  private readonly idleTimers = new Map<Worker, NodeJS.Timeout>();
  private nextId = 0;
  private closed = false;
  private readonly counts: WorkerPoolStats = { started: 0, cancelled: 0, crashed: 0 };
  private lookupsAnswered = 0;
  /**
   * What each worker may be reading (a pooled body's pin, a spool file's descriptor), released once it
   * replied or its thread has exited: a cancelled scan's worker may still read until its thread stops.
   */
  private readonly reading = new Map<Worker, () => void>();
  private readonly stopHearingDrops: () => void;
  /** Threads told to stop (a cancelled job's, a retired one's) until they have exited: close() waits for them too. */
  private readonly stopping = new Set<Promise<number>>();

  /** `entry`: the worker's module; tests pass a fault-injecting one. */
  constructor(
    private readonly size: number,
    private data: ScanWorkerData,
    private readonly entry: URL = new URL(import.meta.url.endsWith('.ts') ? './scan-worker-entry.ts' : './scan-worker-entry.js', import.meta.url),
    /** Answers the workers' verdict-store lookups (data.verdicts). */
    private readonly verdicts?: PoolVerdicts,
    private readonly idleExitMs = WORKER_IDLE_EXIT_MS,
    private readonly segments: SegmentPool = segmentPool,
  ) {
    this.stopHearingDrops = segments.onDrop((bytes) => {
      for (const worker of [...this.idle, ...this.busy.keys()]) worker.postMessage({ type: 'segments-dropped', bytes });
    });
    // Posted before any later scan request, so a scan dispatched after a verdict was stored sees it.
    verdicts?.known?.onReplaced((knownHashes) => {
      for (const worker of [...this.idle, ...this.busy.keys()]) worker.postMessage({ type: 'known-hashes', buffer: knownHashes });
    });
  }

  /** Verdict-store lookups the workers asked this thread for (each a message each way). */
  get verdictLookups(): number {
    return this.lookupsAnswered;
  }

  get stats(): WorkerPoolStats {
    return { ...this.counts };
  }

  /** Workers running now, idle or busy. */
  get liveWorkers(): number {
    return this.idle.length + this.busy.size;
  }

  /** New configuration for the workers (rules, engines, limits): messages already being scanned finish with the old one. */
  update(data: ScanWorkerData): void {
    this.data = data;
    for (const worker of [...this.idle, ...this.busy.keys()]) worker.postMessage({ type: 'config', data });
  }

  /**
   * `body`: the bytes (on shared memory they are not copied), or a spilled body's file, which the worker
   * reads itself. Rejects with the signal's reason when it aborts first.
   */
  evaluate(body: Buffer | SpilledFile, context: BodyContext, signal?: AbortSignal, known?: readonly KnownPart[]): Promise<Evaluation> {
    if (this.closed) return Promise.reject(new Error('scan workers are stopped'));
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      const job: Job = { id: ++this.nextId, body, context, known, resolve, reject };
      if (signal) {
        const onAbort = () => this.cancel(job, signal.reason as Error);
        signal.addEventListener('abort', onAbort, { once: true });
        const settle = () => signal.removeEventListener('abort', onAbort);
        job.resolve = (evaluation) => (settle(), resolve(evaluation));
        job.reject = (error) => (settle(), reject(error));
      }
      this.queue.push(job);
      this.dispatch();
    });
  }

  /**
   * A session is about to fetch bodies: with no worker running (none idle, busy or starting), start one
   * now, idle, on the usual idle timer, so the first body need not wait for its start. One comparison otherwise.
   */
  prewarm(): void {
    if (this.idle.length + this.busy.size > 0 || this.closed || this.size < 1) return;
    const worker = this.spawn();
    this.idle.push(worker);
    this.startIdleTimer(worker);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopHearingDrops();
    for (const job of this.queue.splice(0)) job.reject(new Error('scan workers are stopped'));
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    for (const worker of [...this.idle, ...this.busy.keys()]) this.terminate(worker);
    await Promise.all(this.stopping);
  }

  private cancel(job: Job, reason: Error): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      job.reject(reason);
      return;
    }
    const worker = [...this.busy].find(([, running]) => running === job)?.[0];
    if (!worker) return;
    this.busy.delete(worker);
    this.counts.cancelled++;
    job.reject(reason);
    // Its 'exit' finds no job and no idle slot for it, so it is not replaced twice.
    this.terminate(worker);
    this.dispatch();
  }

  private dispatch(): void {
    if (this.closed) return;
    while (this.queue.length > 0) {
      const next = this.idle.length > 0 ? 0 : this.liveWorkers < this.size ? this.queue.findIndex((waiting) => !this.sessionScanning(waiting)) : -1;
      if (next < 0) return;
      const [job] = this.queue.splice(next, 1);
      let body: Payload;
      try {
        body = this.payload(job.body);
      } catch (error) {
        // The spool file could not be opened: the scan fails as it would have in the worker.
        job.reject(error as Error);
        continue;
      }
      const worker = this.idle.pop() ?? this.spawn();
      this.stopIdleTimer(worker);
      this.busy.set(worker, job);
      // A worker holds the process open only while someone waits for its answer.
      worker.ref();
      if (body.release) this.reading.set(worker, body.release);
      worker.postMessage({ type: 'scan', id: job.id, ...body.message, context: job.context, known: job.known });
    }
  }

  /**
   * A new worker is started only for a body whose session has none being scanned: one session's bodies
   * arrive one after another (and IMAP delivers them in order), so a second worker for the same session
   * would scan its next body early at the cost of a whole isolate (about 30 MiB resident). Measured on
   * the 300-message bulk IMAP fetch against 25901b3 (bulk-memory.ts; bulk-thread-cpu.ts --rounds 3, medians
   * per 2 fetches): peak RSS 235.4 -> 185.7 MiB; other threads' CPU 2.34 -> 1.58 s (one isolate's JIT and
   * GC instead of two), main thread's 2.46 -> 1.95 s. Bodies of other sessions still start one, and an
   * idle worker takes any body.
   */
  private sessionScanning(job: Job): boolean {
    const { session } = job.context;
    if (session === undefined) return false;
    for (const running of this.busy.values()) if (running.context.session === session) return true;
    return false;
  }

  /**
   * Bytes on a SharedArrayBuffer (see BodySpool) are shared, not copied (a pooled segment is pinned);
   * others are cloned. A spilled body's file is opened here and goes as its descriptor: its life is
   * this thread's, whatever state a terminated worker's thread is torn down in (an fs open in flight
   * when a worker is terminated completes with nobody to close its descriptor).
   */
  private payload(body: Buffer | SpilledFile): Payload {
    if (!Buffer.isBuffer(body)) {
      // Synchronous: one open of a local file the proxy has just written, on the rare spilled body.
      const fd = openSync(body.path, 'r');
      scanPayloads.spilledFile++;
      const file: SpilledFileMessage = { fd, fileBytes: body.fileBytes, tail: body.tail };
      return { message: { file }, release: () => closeSync(fd) };
    }
    if (body.buffer instanceof SharedArrayBuffer) scanPayloads.shared++;
    else scanPayloads.cloned++;
    if (!this.segments.pin(body)) return { message: { bytes: body } };
    return { message: { bytes: body, pooled: true }, release: () => this.segments.unpin(body) };
  }

  private spawn(): Worker {
    this.counts.started++;
    const worker = startWorker(this.entry, { ...this.data, knownHashes: this.verdicts?.known?.buffer });
    worker.on('message', (reply: ScanReply) => {
      if ('lookup' in reply) return this.answerLookup(worker, reply);
      const job = this.busy.get(worker);
      if (!job || job.id !== reply.id) return;
      this.busy.delete(worker);
      // A worker never reads a body after it replied: its pin is dropped, its spool file closed.
      this.stopReading(worker);
      worker.unref();
      this.idle.push(worker);
      this.startIdleTimer(worker);
      if (reply.ok) job.resolve(reviveBuffers(reply.evaluation));
      else job.reject(new Error(reply.message));
      this.dispatch();
    });
    worker.on('error', (error) => this.replace(worker, error));
    worker.on('exit', (code) => {
      // Only a thread that has stopped (cancelled, crashed, retired) is sure to read nothing more.
      this.stopReading(worker);
      this.replace(worker, new Error(`scan worker exited with code ${code}`));
    });
    worker.unref();
    return worker;
  }

  private stopReading(worker: Worker): void {
    const release = this.reading.get(worker);
    if (!release) return;
    this.reading.delete(worker);
    release();
  }

  private answerLookup(worker: Worker, request: { lookup: number; sha256: string }): void {
    let record: VerdictRecord | undefined;
    this.lookupsAnswered++;
    try {
      record = this.verdicts?.lookup(request.sha256);
    } catch {
      // An unreadable store knows nothing: the part is scanned as if new.
    }
    worker.postMessage({ type: 'verdict', lookup: request.lookup, record });
  }

  /** A crashed worker fails only its own message (handled by scan.onError); the next message starts another. */
  private replace(worker: Worker, error: Error): void {
    this.stopIdleTimer(worker);
    const job = this.busy.get(worker);
    this.busy.delete(worker);
    const idleIndex = this.idle.indexOf(worker);
    if (idleIndex >= 0) this.idle.splice(idleIndex, 1);
    job?.reject(error);
    if (this.closed || (!job && idleIndex < 0)) return;
    this.counts.crashed++;
    this.dispatch();
  }

  private startIdleTimer(worker: Worker): void {
    const timer = setTimeout(() => this.retire(worker), this.idleExitMs);
    timer.unref();
    this.idleTimers.set(worker, timer);
  }

  private stopIdleTimer(worker: Worker): void {
    clearTimeout(this.idleTimers.get(worker));
    this.idleTimers.delete(worker);
  }

  /** Idle for idleExitMs: out of the pool first, so its exit is not taken for a crash. */
  private retire(worker: Worker): void {
    this.idleTimers.delete(worker);
    const index = this.idle.indexOf(worker);
    if (index < 0) return;
    this.idle.splice(index, 1);
    this.terminate(worker);
  }

  /** Resolves once the thread has exited (after its 'exit' handler released what it was reading). */
  private terminate(worker: Worker): void {
    const exited = worker.terminate();
    this.stopping.add(exited);
    const forget = () => this.stopping.delete(exited);
    exited.then(forget, forget);
  }
}

/** A body as the scan request carries it, and what to release once the worker can no longer read it. */
interface Payload {
  message: { bytes: Uint8Array; pooled?: true } | { file: SpilledFileMessage };
  release?: () => void;
}

/**
 * Scan workers' heap limits. Under a scan's allocation rate V8 grows a worker's young generation (two
 * semi-spaces and a large-object space) to its default maximum: 32 MiB of semi-spaces resident per
 * worker, for objects that die young (bodies and decoded parts live outside the JS heap). 12 MiB keeps
 * 4 MiB semi-spaces: on the 300-message bulk run 8 MiB of new space per worker instead of 32, with time
 * in scavenges in the same range. 16 or 32 MiB halve or quarter the scavenges and cut the worker's CPU per
 * bulk round by about 15% (worker-scan-cpu.ts --young-mb), but the POP3 bulk run's peak RSS rose by about
 * 8 MiB at 16 (bulk-memory.ts), and that row is over its target already.
 * Until startScanThread set the semi-space flags, the proxy's --max-semi-space-size=1 overrode this limit
 * (the figures above were measured without that flag): its workers ran with 1 MiB semi-spaces. With 4 MiB,
 * per worker over 3 bulk fetches (--trace-gc-nvp): 83 scavenges instead of 335 and 2-3 mark-compacts
 * instead of 11-12; the worker's own CPU per bench round 352 instead of 405 ms (worker-scan-cpu.ts
 * --young-mb 12 against 3); each worker's heap 6 MiB larger (bulk-memory.ts: 29-33 instead of 23-24.5 MiB).
 * 6 MiB (2 MiB semi-spaces) would halve the scavenges for 2 MiB more per worker.
 */
export const SCAN_WORKER_RESOURCE_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 12 };

/** A scan worker's semi-space (MiB): a third of its young generation (two semi-spaces and as much for large objects). */
export const SCAN_WORKER_SEMI_SPACE_MB = Math.max(1, Math.floor(SCAN_WORKER_RESOURCE_LIMITS.maxYoungGenerationSizeMb! / 3));

/**
 * A thread with the scan workers' heap. V8 takes an isolate's semi-space size from --max-semi-space-size
 * when the process has that flag, over the thread's resourceLimits, and the proxy runs with
 * --max-semi-space-size=1 for its main thread (cli/young-generation.ts). V8 reads these flags when an
 * isolate's heap is set up, so setting them just before a worker starts sizes that worker's heap; the main
 * thread's is set up already and keeps its size. The minimum is the maximum too: a worker's new space then
 * neither starts small nor shrinks between bursts (nor stays at its start when the proxy runs without
 * its flags, where --semi-space-growth-factor=1 holds every young generation at its starting size).
 */
export function startScanThread(entry: string | URL, options: WorkerOptions): Worker {
  setFlagsFromString(`--max-semi-space-size=${SCAN_WORKER_SEMI_SPACE_MB}`);
  setFlagsFromString(`--min-semi-space-size=${SCAN_WORKER_SEMI_SPACE_MB}`);
  return new Worker(entry, { ...options, resourceLimits: SCAN_WORKER_RESOURCE_LIMITS });
}

function startWorker(entry: URL, data: ScanWorkerData): Worker {
  if (entry.pathname.endsWith('.ts')) {
    // Running from source (tests, development): load the TypeScript entry through tsx.
    return startScanThread(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`, { eval: true, workerData: data });
  }
  return startScanThread(entry, { workerData: data });
}

/** Buffers arrive from the worker as Uint8Arrays. */
function reviveBuffers(evaluation: Evaluation): Evaluation {
  const submissions = evaluation.submissions?.map((submission) => ({ ...submission, content: asBuffer(submission.content) }));
  const revived = submissions ? { ...evaluation, submissions } : evaluation;
  if (!revived.rewritten) return revived;
  return { ...revived, rewritten: { ...revived.rewritten, bytes: asBuffer(revived.rewritten.bytes) } };
}

function asBuffer(bytes: Uint8Array): Buffer {
  receivedShared(bytes);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
