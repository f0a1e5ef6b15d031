import { Worker } from 'node:worker_threads';
import type { BodyContext } from '../types/body-context.js';
import type { ScanWorkerData } from './create-inspector.js';
import type { Evaluation } from './evaluate.js';

type Reply = { id: number; ok: true; evaluation: Evaluation } | { id: number; ok: false; message: string };

interface Job {
  id: number;
  bytes: Buffer;
  context: BodyContext;
  resolve(evaluation: Evaluation): void;
  reject(error: Error): void;
}

/** A fixed number of scan workers; each takes one message at a time, the rest wait in order. */
export class ScanWorkerPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job>();
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly size: number,
    private data: ScanWorkerData,
  ) {
    for (let index = 0; index < size; index++) this.idle.push(this.spawn());
  }

  /** New configuration for the workers (rules, engines, limits): messages already being scanned finish with the old one. */
  update(data: ScanWorkerData): void {
    this.data = data;
    for (const worker of [...this.idle, ...this.busy.keys()]) worker.postMessage({ type: 'config', data });
  }

  evaluate(bytes: Buffer, context: BodyContext): Promise<Evaluation> {
    if (this.closed) return Promise.reject(new Error('scan workers are stopped'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: ++this.nextId, bytes, context, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('scan workers are stopped'));
    await Promise.all([...this.idle, ...this.busy.keys()].map((worker) => worker.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const job = this.queue.shift() as Job;
      this.busy.set(worker, job);
      // Bytes on a SharedArrayBuffer (see BodySpool.readAll) are shared, not copied; others are cloned.
      worker.postMessage({ type: 'scan', id: job.id, bytes: job.bytes, context: job.context });
    }
  }

  private spawn(): Worker {
    const worker = startWorker(this.data);
    worker.on('message', (reply: Reply) => {
      const job = this.busy.get(worker);
      if (!job || job.id !== reply.id) return;
      this.busy.delete(worker);
      this.idle.push(worker);
      if (reply.ok) job.resolve(reviveBuffers(reply.evaluation));
      else job.reject(new Error(reply.message));
      this.dispatch();
    });
    worker.on('error', (error) => this.replace(worker, error));
    worker.on('exit', (code) => this.replace(worker, new Error(`scan worker exited with code ${code}`)));
    worker.unref();
    return worker;
  }

  /** A crashed worker fails only its own message (handled by scan.onError) and is replaced. */
  private replace(worker: Worker, error: Error): void {
    const job = this.busy.get(worker);
    this.busy.delete(worker);
    const idleIndex = this.idle.indexOf(worker);
    if (idleIndex >= 0) this.idle.splice(idleIndex, 1);
    job?.reject(error);
    if (this.closed || (!job && idleIndex < 0)) return;
    this.idle.push(this.spawn());
    this.dispatch();
  }
}

function startWorker(data: ScanWorkerData): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Running from source (tests, development): load the TypeScript entry through tsx.
    const entry = new URL('./scan-worker.ts', here).href;
    return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`, { eval: true, workerData: data });
  }
  return new Worker(new URL('./scan-worker.js', here), { workerData: data });
}

/** Buffers arrive from the worker as Uint8Arrays. */
function reviveBuffers(evaluation: Evaluation): Evaluation {
  if (!evaluation.rewritten) return evaluation;
  const bytes = evaluation.rewritten.bytes as Uint8Array;
  return { ...evaluation, rewritten: { ...evaluation.rewritten, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) } };
}
