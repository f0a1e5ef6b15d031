// Worker thread entry: the CPU side of scanning (MIME walk, engines, archives, rendering) runs here so
// the proxy's event loop keeps serving other sessions while a large message is scanned.
import { parentPort, workerData } from 'node:worker_threads';
import type { BodyContext } from '../types/body-context.js';
import { createInspector, policyFrom, type ScanWorkerData } from './create-inspector.js';
import { createEvaluator, type Evaluation, type Evaluator } from './evaluate.js';
import { toSharedBuffer } from './shared-buffer.js';

type Request = { type: 'scan'; id: number; bytes: Uint8Array; context: BodyContext } | { type: 'config'; data: ScanWorkerData };

interface Built {
  evaluate: Evaluator;
  close(): Promise<void>;
  /** Scans still running with this configuration; its engines close after them. */
  running: Set<Promise<unknown>>;
}

async function build(data: ScanWorkerData): Promise<Built> {
  const { inspector, close } = await createInspector(data.config, data.dataDir, data.engineNames);
  return { evaluate: createEvaluator(inspector, policyFrom(data.config)), close, running: new Set() };
}

// Scans wait for a configuration being built, so each one runs wholly with one configuration.
let current = build(workerData as ScanWorkerData);

function replaceConfiguration(data: ScanWorkerData): void {
  const previous = current;
  // A configuration whose engines cannot be built leaves the previous one in force.
  const next = build(data).catch(() => previous);
  current = next;
  void Promise.all([previous, next]).then(async ([old, fresh]) => {
    if (old === fresh) return;
    await Promise.allSettled(old.running);
    await old.close();
  });
}

function scan(built: Built, bytes: Buffer, context: BodyContext): Promise<Evaluation> {
  const running = built.evaluate(bytes, context);
  built.running.add(running);
  void running.finally(() => built.running.delete(running)).catch(() => undefined);
  return running;
}

parentPort?.on('message', (request: Request) => {
  if (request.type === 'config') return replaceConfiguration(request.data);
  const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
  current.then((built) => scan(built, bytes, request.context)).then(
    (evaluation) => parentPort?.postMessage({ id: request.id, ok: true, evaluation: withSharedBytes(evaluation) }),
    (error: Error) => parentPort?.postMessage({ id: request.id, ok: false, message: error.message }),
  );
});

/** The rewritten bytes go back on shared memory: the copy is made here, not on the proxy's event loop. */
function withSharedBytes(evaluation: Evaluation): Evaluation {
  if (!evaluation.rewritten) return evaluation;
  return { ...evaluation, rewritten: { ...evaluation.rewritten, bytes: toSharedBuffer(evaluation.rewritten.bytes) } };
}
