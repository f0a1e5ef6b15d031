// The whole message is hashed only when its original is kept (quarantine), not for every message.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { createInspector, policyFrom } from '../../../src/scan/create-inspector.js';
import { createEvaluator, type Evaluator } from '../../../src/scan/evaluate.js';
import { withAttachments } from '../../helpers/messages.js';
import { EICAR } from './archive/archive-builders.js';

const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]', listener: 'work', user: 'bob', mailbox: 'INBOX', uid: 7 };
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('evaluation: the hash of the whole message', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-evaluate-'));
  let evaluate: Evaluator;
  let close: () => Promise<void>;
  before(async () => {
    const settings = configSchema.parse({ scan: { engines: ['builtin'] } });
    const engines = await createInspector(settings, dataDir, ['builtin']);
    close = engines.close;
    evaluate = createEvaluator(engines.inspector, policyFrom(settings));
  });
  after(async () => {
    await close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a clean message delivered unchanged keeps no original and is not hashed', async () => {
    const evaluation = await evaluate(withAttachments({ seed: 3 }), CONTEXT);
    assert.equal(evaluation.decision.action, 'deliver');
    assert.equal(evaluation.quarantineId, undefined);
    assert.equal(evaluation.sha256, undefined);
  });

  it('a message whose original is kept carries its SHA-256 and the quarantine id named after it', async () => {
    const message = withAttachments({ attachments: [{ filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR }] });
    const evaluation = await evaluate(message, CONTEXT);
    assert.notEqual(evaluation.decision.action, 'deliver');
    assert.equal(evaluation.sha256, sha256(message));
    assert.ok(evaluation.quarantineId);
  });
});
