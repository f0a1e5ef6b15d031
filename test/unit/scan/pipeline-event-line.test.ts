// The event line of a scanned message names its origin in one order, whatever the origin carries: the
// proxy's IMAP and POP3 scans and the mailbox scan write the fields they have, and no others.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { createScanSetup } from '../../../src/scan/create-pipeline.js';
import { BodySpool } from '../../../src/proxy/body-spool.js';
import { eventsPath } from '../../../src/store/events.js';
import type { BodyContext } from '../../../src/types/body-context.js';
import { plainText } from '../../helpers/messages.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const ORIGIN_ORDER = ['time', 'listener', 'upstream', 'user', 'mailbox', 'uidValidity', 'uid', 'uidl', 'section', 'layer', 'messageId', 'subject', 'verdict', 'detections', 'actions', 'bytes', 'scanMs'];

describe('ScanPipeline event line', () => {
  it('writes the origin fields a context has, in one order, and none it lacks', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-event-line-'));
    dirs.push(dataDir);
    const setup = await createScanSetup(configSchema.parse({ scan: { engines: ['builtin'] } }), dataDir, undefined, ['builtin']);
    const contexts: BodyContext[] = [
      { protocol: 'imap', listener: 'imaps', upstream: 'mail.example.com:993', user: 'alice', mailbox: 'INBOX', uidValidity: '5', uid: 9, section: 'BODY[]' },
      { protocol: 'pop3', listener: 'pop3s', upstream: 'mail.example.com:995', user: 'bob', uidl: 'u-1', section: 'RETR' },
      { protocol: 'imap', section: 'BODY[]', user: 'carol', mailbox: 'Archive', uidValidity: '7', uid: 1, layer: 'mailbox-scan' },
      { protocol: 'imap', section: 'BODY[]' },
    ];
    try {
      for (const context of contexts) {
        const message = plainText({ subject: 'line order' });
        const spool = new BodySpool(1024 * 1024, { announcedSize: message.length });
        spool.append(message);
        await spool.finish();
        await setup.pipeline.scan(spool, context);
        spool.dispose();
      }
    } finally {
      await setup.close();
    }
    const lines = readFileSync(eventsPath(dataDir), 'utf8').trim().split('\n');
    assert.equal(lines.length, contexts.length);
    lines.forEach((line, index) => {
      const context = contexts[index] as unknown as Record<string, unknown>;
      const keys = Object.keys(JSON.parse(line) as object);
      const expected = ORIGIN_ORDER.filter((key) => !['listener', 'upstream', 'user', 'mailbox', 'uidValidity', 'uid', 'uidl', 'layer'].includes(key) || context[key] !== undefined);
      assert.deepEqual(keys, expected, line);
      assert.match(line, /"messageId":"<test-1@inboxguard\.test>","subject":"line order","verdict":"clean"/);
    });
  });
});
