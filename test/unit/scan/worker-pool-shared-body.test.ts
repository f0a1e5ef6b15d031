// A body held in memory reaches the scan worker on the shared memory the session delivers it from
// (BodySpool copies it there once, as it arrives): the worker must only read it. Real scan workers,
// the builtin engine, messages that are decoded, unpacked, stripped and rewritten.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { BodySpool, spoolCounters } from '../../../src/proxy/body-spool.js';
import { ScanWorkerPool } from '../../../src/scan/worker-pool.js';
import { bigMessage, mixedMailbox, withAttachments } from '../../helpers/messages.js';
import { EICAR } from './archive/archive-builders.js';
import { writeZip } from './archive/zip-writer.js';

const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]' };
const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-pool-shared-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const messages: [string, Buffer][] = [
  ['eicar attachment (stripped)', withAttachments({ seed: 5, attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR }] })],
  ['eicar in a zip (stripped)', withAttachments({ seed: 6, attachments: [{ filename: 'a.zip', contentType: 'application/zip', content: writeZip([{ name: 'eicar.com', data: EICAR }]) }] })],
  ['a 3 MB base64 message', bigMessage(3 * 1024 * 1024)],
  ...mixedMailbox(6, 9).map((message, index): [string, Buffer] => [`mixed mailbox message ${index + 1}`, message]),
];

describe('scan worker and the shared body', () => {
  it('the worker reads the spool’s own buffer and leaves it as it was, whatever the scan does', async () => {
    const workers = new ScanWorkerPool(2, { config: configSchema.parse({}), dataDir, engineNames: ['builtin'] });
    try {
      let rewritten = 0;
      for (const [name, message] of messages) {
        const spool = new BodySpool(16 * 1024 * 1024, { announcedSize: message.length });
        for (let offset = 0; offset < message.length; offset += 16_384) spool.append(Buffer.from(message.subarray(offset, offset + 16_384)));
        const assembledBefore = spoolCounters.assembledBytes;
        const shared = await spool.readAll();
        assert.equal(spoolCounters.assembledBytes, assembledBefore, `${name}: handed over without a second copy`);
        assert.ok(shared.buffer instanceof SharedArrayBuffer);
        const evaluation = await workers.evaluate(shared, CONTEXT);
        if (evaluation.rewritten) rewritten++;
        assert.ok(shared.equals(message), `${name}: the worker changed the bytes it was given`);
        assert.ok(Buffer.concat([...spool.memoryRange()]).equals(message), `${name}: what the session delivers is unchanged`);
        spool.dispose();
      }
      assert.ok(rewritten >= 2, 'the infected messages were rewritten (the worker wrote its output elsewhere)');
    } finally {
      await workers.close();
    }
  });
});
