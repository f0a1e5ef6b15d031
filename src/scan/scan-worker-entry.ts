// Worker thread entry of the scan worker pool (see scan-worker.ts).
import { parentPort, workerData } from 'node:worker_threads';
import type { ScanWorkerData } from './create-inspector.js';
import { serveScans, type ScanPort } from './scan-worker.js';

if (parentPort) serveScans(parentPort as ScanPort, workerData as ScanWorkerData);
