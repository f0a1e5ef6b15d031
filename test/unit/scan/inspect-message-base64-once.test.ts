// The scanner reads a part's `malformed` after decoding it, so a base64 attachment goes through the
// native decoder once per scan, and a broken one is still reported as MIME.Malformed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { defaultArchiveLimits } from '../../../src/scan/archive/index.js';
import { decodeBase64 } from '../../../src/mime/decode/base64.js';
import { shapeOf } from '../../../src/scan/body-shape.js';
import { inspectMessage } from '../../../src/scan/inspect-message.js';
import type { BodyContext } from '../../../src/types/body-context.js';
import { base64Lines, lines, message } from '../mime/messages.js';
import { nativeBase64Characters } from '../../helpers/native-base64-work.js';

const CONTEXT: BodyContext = { protocol: 'imap', section: 'BODY[]' };
const ATTACHMENT = base64Lines(randomBytes(2 * 1024 * 1024));

function withAttachment(body: string): Buffer {
  return message(lines('Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', body));
}

async function inspect(bytes: Buffer) {
  const { result, characters } = await nativeBase64Characters(() => inspectMessage(shapeOf(bytes, CONTEXT), CONTEXT, { engines: [], archiveLimits: defaultArchiveLimits }));
  return { inspection: result, characters };
}

/** Characters one decode of the body hands to the native decoder (its regular prefix). */
async function oneDecode(body: string): Promise<number> {
  const { characters } = await nativeBase64Characters(() => decodeBase64(Buffer.from(body, 'latin1')));
  assert.ok(characters > 0, 'the body has a regular prefix');
  return characters;
}

describe('inspectMessage on a base64 attachment', () => {
  it('decodes it natively once', async () => {
    const { inspection, characters } = await inspect(withAttachment(ATTACHMENT));
    assert.equal(inspection.verdict, 'clean');
    assert.equal(characters, await oneDecode(ATTACHMENT));
  });

  it('reports a broken one as malformed, still decoding it natively once', async () => {
    const broken = `${ATTACHMENT.slice(0, 2_000_000)}!!${ATTACHMENT.slice(2_000_000)}`;
    const { inspection, characters } = await inspect(withAttachment(broken));
    assert.equal(inspection.verdict, 'malformed');
    assert.deepEqual(
      inspection.findings.map((finding) => [finding.name, finding.location.at(-1)]),
      [
        ['MIME.Malformed', 'part 1: 2 bytes that are not base64'],
        ['MIME.Malformed', '2 bytes that are not base64'],
      ],
    );
    assert.equal(characters, await oneDecode(broken));
  });
});
