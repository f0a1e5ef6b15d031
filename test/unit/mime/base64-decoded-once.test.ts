// A base64 part is decoded natively once: the walk does not decode it just to check it, and decoding
// it tells whether it was well-formed (`malformed`), so the scanner's decode-then-read costs one pass.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeBase64 } from '../../../src/mime/decode/base64.js';
import { walkMessage, walkPart } from '../../../src/mime/index.js';
import { base64Lines, lines, message } from './messages.js';
import { nativeBase64Characters } from '../../helpers/native-base64-work.js';

const ATTACHMENT = base64Lines(randomBytes(3 * 1024 * 1024));

function withAttachment(body: string): Buffer {
  return message(
    lines('Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: text/plain', '', 'see attached', '--b', 'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', body, '--b--', ''),
  );
}

/** Characters one decode of the body hands to the native decoder (its regular prefix). */
async function oneDecode(body: string): Promise<number> {
  const { characters } = await nativeBase64Characters(() => decodeBase64(Buffer.from(body, 'latin1')));
  assert.ok(characters > 0, 'the body has a regular prefix');
  return characters;
}

/** What the scanner does with a walk: decode each part, then read its `malformed`, then the walk's. */
function scanOrder(bytes: Buffer): { partProblems: (string | undefined)[]; walkProblem: string | undefined } {
  const walk = walkMessage(bytes);
  const partProblems = walk.parts.map((part) => {
    part.decode();
    return part.malformed;
  });
  return { partProblems, walkProblem: walk.malformed };
}

describe('a base64 attachment is decoded natively once per scan', () => {
  it('walking, decoding and reading malformed hand each encoded character to the native decoder once', async () => {
    const { result, characters } = await nativeBase64Characters(() => scanOrder(withAttachment(ATTACHMENT)));
    assert.deepEqual(result, { partProblems: [undefined, undefined], walkProblem: undefined });
    assert.equal(characters, await oneDecode(ATTACHMENT));
  });

  it('a broken body is flagged by the decode that reads it, with no second pass', async () => {
    const broken = `${ATTACHMENT.slice(0, 2_000_000)}!!!!${ATTACHMENT.slice(2_000_000)}`;
    const { result, characters } = await nativeBase64Characters(() => scanOrder(withAttachment(broken)));
    assert.deepEqual(result, { partProblems: [undefined, '4 bytes that are not base64'], walkProblem: 'part 2: 4 bytes that are not base64' });
    assert.equal(characters, await oneDecode(broken));
  });

  it('the walk alone decodes nothing natively; malformed asked before decoding checks the body once', async () => {
    const walked = await nativeBase64Characters(() => walkPart(Buffer.from(ATTACHMENT), { header: { transferEncoding: 'base64' } }));
    assert.equal(walked.characters, 0);
    const asked = await nativeBase64Characters(() => walked.result.parts[0].malformed);
    assert.equal(asked.result, undefined);
    assert.equal(asked.characters, await oneDecode(ATTACHMENT));
  });

  it('a part decoded in slices (streamed to the engines) knows its malformed with no second pass', async () => {
    const broken = `${ATTACHMENT.slice(0, 2_000_000)}!!!!${ATTACHMENT.slice(2_000_000)}`;
    const walk = walkMessage(withAttachment(broken));
    const attachment = walk.parts[1];
    assert.ok(attachment.decodeSlices, 'a base64 part can be decoded in slices');
    const streamed = await nativeBase64Characters(() => Buffer.concat([...attachment.decodeSlices!()]));
    assert.deepEqual(streamed.result, walkMessage(withAttachment(broken)).parts[1].decode(), 'the same bytes as a whole decode');
    const asked = await nativeBase64Characters(() => [attachment.malformed, walk.malformed]);
    assert.deepEqual(asked.result, ['4 bytes that are not base64', 'part 2: 4 bytes that are not base64']);
    assert.equal(asked.characters, 0, 'the slices already settled it');
  });
});
