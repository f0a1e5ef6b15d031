// ScanPipeline.report(), what the mailbox scan acts on: the whole report back, the original in the
// quarantine and one event (carrying the layer) per message; a scan that times out is an event and a
// rejection, never a report to act on. Hanging scans come from the fault-injecting worker entry.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LiveConfig } from '../../../src/config/live-config.js';
import { configSchema, type Config } from '../../../src/config/schema.js';
import { createScanSetup } from '../../../src/scan/create-pipeline.js';
import { ScanTimeoutError } from '../../../src/scan/deadline.js';
import { eventsPath, readEvents } from '../../../src/store/events.js';
import { Quarantine, quarantineDir } from '../../../src/store/quarantine.js';
import { faultInjectingWorkerEntry, FAULT_HEADER } from '../../helpers/fault-injecting-scan-worker.js';
import { withAttachments } from '../../helpers/messages.js';
import { EICAR } from './archive/archive-builders.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]', user: 'bob', mailbox: 'Archive', uidValidity: '77', uid: 3, layer: 'mailbox-scan' as const };
const infected = withAttachments({ seed: 6, subject: 'old invoice', attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR }] });
const hanging = Buffer.concat([Buffer.from(`${FAULT_HEADER}: hang\r\n`), infected]);
const config = (scan: Record<string, unknown>): Config => configSchema.parse({ scan: { engines: ['builtin'], ...scan } });

describe('ScanPipeline.report (mailbox scan)', () => {
  it('hands back the report with the original quarantined and logs a mailbox-scan event; a timeout is logged and rejects', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-report-'));
    dirs.push(dataDir);
    const first = config({ timeoutSeconds: 0.3, maxConcurrentScans: 1 });
    const setup = await createScanSetup(first, dataDir, undefined, ['builtin'], { workers: true, workerEntry: faultInjectingWorkerEntry, layer: 'mailboxScan' });
    const live = new LiveConfig(first);
    setup.follow(live);
    try {
      await assert.rejects(setup.pipeline.report(hanging, CONTEXT), ScanTimeoutError);
      live.replace(config({ timeoutSeconds: 120, maxConcurrentScans: 1 }));
      const report = await setup.pipeline.report(infected, { ...CONTEXT, uid: 4 });
      assert.equal(report.inspection.verdict, 'infected');
      assert.equal(report.decision.action, 'strip');
      assert.ok(report.rewritten);
      assert.ok(report.quarantined);
      assert.deepEqual(new Quarantine(quarantineDir(dataDir)).original(report.quarantined.id), infected);
      const events = readEvents(eventsPath(dataDir));
      assert.deepEqual(
        events.map((event) => [event.uid, event.layer, event.mailbox, event.uidValidity, event.verdict, event.actions.join(',')]),
        [
          [3, 'mailbox-scan', 'Archive', '77', 'timeout', ''],
          [4, 'mailbox-scan', 'Archive', '77', 'infected', 'strip'],
        ],
      );
      assert.equal(report.quarantined.layer, 'mailbox-scan');
    } finally {
      await setup.close();
    }
  });
});
