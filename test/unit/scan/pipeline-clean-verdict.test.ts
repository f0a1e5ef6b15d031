// A scan result says `clean` only when nothing about it could differ for the same bytes until a verdict
// or the settings change (the proxy then delivers a re-fetch of the section unscanned, issue #15): a
// clean scan with no rule applied, nothing changed, kept or held.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { createScanSetup } from '../../../src/scan/create-pipeline.js';
import type { BodyScanResult } from '../../../src/scan/body-scanner.js';
import { withAttachments } from '../../helpers/messages.js';
import { EICAR } from './archive/archive-builders.js';

const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]', listener: 'work', upstream: 'imap.example.org:993', user: 'bob', mailbox: 'INBOX', uidValidity: '1', uid: 3 };
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const clean = withAttachments({ seed: 8, subject: 'Lunch', attachments: [{ filename: 'menu.txt', contentType: 'text/plain', content: Buffer.from('soup\r\n') }] });
const infected = withAttachments({ seed: 7, subject: 'Invoice', attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR }] });

let counter = 0;
const rule = (level: string, conditions: unknown[], actions: unknown[]) => ({ id: `r-c${++counter}`, name: `rule ${counter}`, level, conditions, actions });

async function scan(bytes: Buffer, config: Record<string, unknown> = {}): Promise<BodyScanResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-clean-verdict-'));
  dirs.push(dataDir);
  const setup = await createScanSetup(configSchema.parse(config), dataDir, undefined, ['builtin']);
  try {
    return await setup.pipeline.scan({ size: bytes.length, inMemory: () => bytes, readAll: async () => bytes, range: async function* () { yield bytes; } }, CONTEXT);
  } finally {
    await setup.close();
  }
}

describe('ScanPipeline: a settled clean result', () => {
  it('a clean message with no rule applied is clean', async () => {
    const result = await scan(clean, { rules: { transport: [] } });
    assert.deepEqual(result, { changed: false, clean: true });
  });

  it('under the default rules too', async () => {
    assert.equal((await scan(clean)).clean, true);
  });

  it('an infected one is not, nor one a rule applied to (even only to log), nor one whose marking was left out, nor one a skip-scan let through', async () => {
    assert.equal((await scan(infected)).clean, undefined);
    assert.equal((await scan(clean, { rules: { transport: [rule('filtering', [{ field: 'subject', op: 'contains', value: 'lunch' }], ['log'])] } })).clean, undefined);
    // The marking of a message delivered unchanged is left out and the event says so, each time.
    assert.equal((await scan(clean, { actions: { markClean: true } })).clean, undefined);
    assert.equal((await scan(clean, { rules: { transport: [rule('filtering', [{ field: 'subject', op: 'contains', value: 'lunch' }], ['skip-scan'])] } })).clean, undefined);
  });
});
