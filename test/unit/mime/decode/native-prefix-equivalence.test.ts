// The chunk-by-chunk nativePrefix against its former definition (whole-body checks first): the same
// prefix, characters and bytes written, on random and broken bodies, with an odd byte at every offset
// of small bodies and at every offset around the chunk boundaries and the end of large ones.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nativePrefix } from '../../../../src/mime/decode/base64.js';
import { formerNativePrefix } from './former-native-prefix.js';
import { ODD_BASE64, brokenBase64, lines, textMutation } from './text-mutations.js';

function agrees(body: Buffer, where: string): void {
  const size = Math.ceil((body.length * 3) / 4) + 3;
  const sink = Buffer.alloc(size);
  const formerSink = Buffer.alloc(size);
  const result = nativePrefix(body, sink);
  assert.deepEqual(result, formerNativePrefix(body, formerSink), where);
  assert.ok(sink.equals(formerSink), `bytes written: ${where}`);
  assert.deepEqual(nativePrefix(body), result, `without a sink: ${where}`);
}

const layout = fc.record({ lineChars: fc.constantFrom(4, 8, 60, 64, 72, 76, 77, 1000), eol: fc.constantFrom('\r\n', '\n', '\r'), finalEol: fc.boolean() });

describe('nativePrefix: chunk by chunk, as the former whole-body checks decided', () => {
  it('on clean and broken bodies of every layout', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), layout, fc.array(textMutation(ODD_BASE64), { maxLength: 3 }), fc.option(fc.nat({ max: 4000 }), { nil: undefined }), fc.boolean(), (data, shape, mutations, cut, concatenated) => {
        agrees(Buffer.from(brokenBase64(data, shape, mutations, cut, concatenated), 'latin1'), JSON.stringify({ ...shape, mutations, cut, concatenated }));
      }),
      { numRuns: 3000 },
    );
  });

  it('with each odd byte written over or inserted at every offset of a small body', () => {
    for (const [lineChars, eol] of [[8, '\r\n'], [4, '\n'], [76, '\r\n']] as const) {
      const text = lines(randomBytes(lineChars === 76 ? 600 : 90).toString('base64'), lineChars, eol, true);
      for (const odd of ['-', '_', '=', '\n', '\r', ' ', '\x00', 'A']) {
        for (let at = 0; at <= text.length; at++) {
          agrees(Buffer.from(text.slice(0, at) + odd + text.slice(at + 1), 'latin1'), JSON.stringify({ lineChars, eol, odd, at, replace: true }));
          agrees(Buffer.from(text.slice(0, at) + odd + text.slice(at), 'latin1'), JSON.stringify({ lineChars, eol, odd, at, replace: false }));
        }
        for (let cut = 0; cut <= text.length; cut += 7) agrees(Buffer.from(text.slice(0, cut), 'latin1'), JSON.stringify({ lineChars, eol, cut }));
      }
    }
  });

  it('with an odd byte at every offset around the chunk boundaries and the end of a body of several chunks', () => {
    for (const [lineChars, eol] of [[76, '\r\n'], [64, '\n']] as const) {
      const stride = lineChars + eol.length;
      const linesPerChunk = Math.floor((1 << 16) / stride) & ~3;
      const text = lines(randomBytes(200_000).toString('base64'), lineChars, eol, true);
      const boundaries = [1, 2, 3].map((chunk) => chunk * linesPerChunk * stride).filter((at) => at < text.length);
      const places = [...boundaries, text.length - 2 * stride].flatMap((center) => Array.from({ length: 2 * stride }, (_, index) => center - stride + index));
      for (const odd of ['-', '_', '\n', 'A']) {
        for (const at of places) agrees(Buffer.from(text.slice(0, at) + odd + text.slice(at + 1), 'latin1'), JSON.stringify({ lineChars, eol, odd, at }));
      }
      for (const cut of places) agrees(Buffer.from(text.slice(0, cut), 'latin1'), JSON.stringify({ lineChars, eol, cut }));
    }
  });
});
