import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { DEFAULT_WALK_LIMITS } from '../../../src/mime/types.js';
import type { BodyContext } from '../../../src/protocol/engine.js';
import { createScanSetup, type ScanSetup } from '../../../src/scan/create-pipeline.js';
import { manyParts, nestedMixed, nestedMultipart, nestedRfc822 } from '../../helpers/hostile-mime.js';

const whole: BodyContext = { protocol: 'imap', section: 'BODY[]' };

describe('the scanner on hostile structure: a malformed verdict after bounded work', () => {
  let dataDir: string;
  let setup: ScanSetup;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-hostile-'));
    setup = await createScanSetup(configSchema.parse({}), dataDir);
  });

  after(async () => {
    await setup.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  for (const [name, build] of [
    ['multipart nested 10,000 deep', () => nestedMultipart(10_000)],
    ['message/rfc822 nested 10,000 deep', () => nestedRfc822(10_000)],
    ['multipart and message/rfc822 alternating 10,000 deep', () => nestedMixed(10_000)],
  ] as const) {
    it(`${name}: verdict malformed, parts inspected capped`, async () => {
      const outcome = await setup.pipeline.evaluate(build(), whole, false);
      assert.equal(outcome.inspection.verdict, 'malformed');
      assert.ok(outcome.inspection.findings.some((finding) => finding.name === 'MIME.Malformed' && finding.location.join(' ').includes(`nesting deeper than ${DEFAULT_WALK_LIMITS.maxDepth}`)));
      assert.ok(outcome.inspection.parts.length <= DEFAULT_WALK_LIMITS.maxParts + 1, `${outcome.inspection.parts.length} parts inspected`);
    });
  }

  it('a body without its header (BODY[TEXT]) nested 10,000 deep is malformed too', async () => {
    const message = nestedMultipart(10_000);
    const text = message.subarray(message.indexOf('\r\n\r\n') + 4);
    const outcome = await setup.pipeline.evaluate(text, { protocol: 'imap', section: 'BODY[TEXT]' }, false);
    assert.equal(outcome.inspection.verdict, 'malformed');
  });

  it(`more parts than the limit (${DEFAULT_WALK_LIMITS.maxParts}): malformed, and no more parts inspected than the limit`, async () => {
    const outcome = await setup.pipeline.evaluate(manyParts(DEFAULT_WALK_LIMITS.maxParts + 500), whole, false);
    assert.equal(outcome.inspection.verdict, 'malformed');
    assert.ok(outcome.inspection.parts.length <= DEFAULT_WALK_LIMITS.maxParts + 1);
  });
});
