// Worker thread entry: the CPU side of scanning (MIME walk, engines, archives, rendering) runs here so
// the proxy's event loop keeps serving other sessions while a large message is scanned.
import { parentPort, workerData } from 'node:worker_threads';
import type { BodyContext } from '../protocol/engine.js';
import { createInspector, policyFrom, type ScanWorkerData } from './create-pipeline.js';
import { createEvaluator, type Evaluation } from './evaluate.js';
import { toSharedBuffer } from './shared-buffer.js';

interface Request {
  id: number;
  bytes: Uint8Array;
  context: BodyContext;
}

const { config, dataDir, engineNames } = workerData as ScanWorkerData;
const { inspector } = await createInspector(config, dataDir, engineNames);
const evaluate = createEvaluator(inspector, policyFrom(config));

parentPort?.on('message', (request: Request) => {
  const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
  evaluate(bytes, request.context).then(
    (evaluation) => parentPort?.postMessage({ id: request.id, ok: true, evaluation: withSharedBytes(evaluation) }),
    (error: Error) => parentPort?.postMessage({ id: request.id, ok: false, message: error.message }),
  );
});

/** The rewritten bytes go back on shared memory: the copy is made here, not on the proxy's event loop. */
function withSharedBytes(evaluation: Evaluation): Evaluation {
  if (!evaluation.rewritten) return evaluation;
  return { ...evaluation, rewritten: { ...evaluation.rewritten, bytes: toSharedBuffer(evaluation.rewritten.bytes) } };
}
