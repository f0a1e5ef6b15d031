// The scan workers start: one worker thread is started as the proxy starts them and scans the
// self-test EICAR message with the builtin engine (clamd has its own check); the verdict must name it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanWorkerPool } from '../scan/worker-pool.js';
import { fail, pass, type DoctorCheck } from './check.js';
import { SELF_TEST_MESSAGES } from './self-test/test-messages.js';

const WORKER_TIMEOUT_MS = 30_000;

export const scanWorkersCheck: DoctorCheck = {
  id: 'scan-workers',
  needsConfig: true,
  async run({ config }) {
    const title = 'scan workers';
    // The worker's data dir (user signatures) is a throwaway one: nothing of the user's is read or written.
    const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-doctor-workers-'));
    const pool = new ScanWorkerPool(1, { config: config!, dataDir, engineNames: ['builtin'] });
    try {
      const evaluation = await withTimeout(pool.evaluate(SELF_TEST_MESSAGES.eicar, { protocol: 'imap', section: 'BODY[]' }), WORKER_TIMEOUT_MS);
      const names = evaluation.inspection.findings.map((finding) => finding.name);
      if (!names.includes('Eicar-Test-Signature')) return [fail(title, `a worker started but did not find EICAR (found: ${names.join(', ') || 'nothing'})`, 'reinstall inboxguard')];
      return [pass(title, `a worker thread started and found ${names.join(', ')}`)];
    } catch (error) {
      return [fail(title, `a scan worker failed: ${(error as Error).message}`, 'reinstall inboxguard (npm install), then run doctor again')];
    } finally {
      await pool.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
