// What a scan worker thread does (its entry is scan-worker-entry.ts): the CPU side of scanning (MIME
// walk, engines, archives, rendering) runs there so the proxy's event loop keeps serving other
// sessions while a large message is scanned.
import type { BodyContext } from '../types/body-context.js';
import { createInspector, policyFrom, type ScanWorkerData } from './create-inspector.js';
import { createEvaluator, type Evaluation, type Evaluator } from './evaluate.js';
import { toSharedBuffer } from './shared-buffer.js';

export type ScanRequest = { type: 'scan'; id: number; bytes: Uint8Array; context: BodyContext } | { type: 'config'; data: ScanWorkerData };
export type ScanReply = { id: number; ok: true; evaluation: Evaluation } | { id: number; ok: false; message: string };

/** The worker's side of its channel to the pool (parentPort). */
export interface ScanPort {
  on(event: 'message', listener: (request: ScanRequest) => void): unknown;
  postMessage(reply: ScanReply): void;
}

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

/** Answers the pool's scan requests on `port`, following the configurations it sends. */
export function serveScans(port: ScanPort, data: ScanWorkerData): void {
  // Scans wait for a configuration being built, so each one runs wholly with one configuration.
  let current = build(data);

  const replaceConfiguration = (next: ScanWorkerData): void => {
    const previous = current;
    // A configuration whose engines cannot be built leaves the previous one in force.
    const fresh = build(next).catch(() => previous);
    current = fresh;
    void Promise.all([previous, fresh]).then(async ([old, built]) => {
      if (old === built) return;
      await Promise.allSettled(old.running);
      await old.close();
    });
  };

  port.on('message', (request) => {
    if (request.type === 'config') return replaceConfiguration(request.data);
    const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
    current.then((built) => scan(built, bytes, request.context)).then(
      (evaluation) => port.postMessage({ id: request.id, ok: true, evaluation: withSharedBytes(evaluation) }),
      (error: Error) => port.postMessage({ id: request.id, ok: false, message: error.message }),
    );
  });
}

function scan(built: Built, bytes: Buffer, context: BodyContext): Promise<Evaluation> {
  const running = built.evaluate(bytes, context);
  built.running.add(running);
  void running.finally(() => built.running.delete(running)).catch(() => undefined);
  return running;
}

/** The rewritten bytes go back on shared memory: the copy is made here, not on the proxy's event loop. */
function withSharedBytes(evaluation: Evaluation): Evaluation {
  if (!evaluation.rewritten) return evaluation;
  return { ...evaluation, rewritten: { ...evaluation.rewritten, bytes: toSharedBuffer(evaluation.rewritten.bytes) } };
}
