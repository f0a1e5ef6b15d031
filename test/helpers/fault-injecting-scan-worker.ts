// Fault injection: a scan worker entry that behaves like the real one (scan-worker.ts) except for
// messages carrying `X-Fault-Injection: hang | throw | exit`, which make it never answer, throw out of
// its message handler, or exit — faults a real worker only shows by accident.
import { parentPort, workerData } from 'node:worker_threads';
import type { ScanWorkerData } from '../../src/scan/create-inspector.js';
import { serveScans, type ScanPort, type ScanRequest } from '../../src/scan/scan-worker.js';

export const FAULT_HEADER = 'X-Fault-Injection';
export type InjectedFault = 'hang' | 'throw' | 'exit';

/** The entry to pass to ScanWorkerPool. */
export const faultInjectingWorkerEntry = new URL(import.meta.url);

function faultOf(request: ScanRequest): InjectedFault | undefined {
  if (request.type !== 'scan' || !request.bytes) return undefined;
  const text = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength).toString('latin1');
  return /^X-Fault-Injection: (hang|throw|exit)\r?$/im.exec(text)?.[1] as InjectedFault | undefined;
}

const port = parentPort;
if (port) {
  const faulty: ScanPort = {
    on: (_event, listener) =>
      port.on('message', (request: ScanRequest) => {
        const fault = faultOf(request);
        if (fault === 'hang') return;
        if (fault === 'throw') throw new Error('fault injected: the scan worker throws');
        if (fault === 'exit') process.exit(7);
        listener(request);
      }),
    postMessage: (reply, transfer) => port.postMessage(reply, transfer),
  };
  serveScans(faulty, workerData as ScanWorkerData);
}
