// The streaming transfer decoders against the whole-body ones: identical decoded bytes and base64
// inspection at every slicing (byte by byte, seeded random cuts, 64 KiB, whole), over the scan corpus,
// the MIME test messages and seeded random bodies, clean and broken.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeBase64Inspected } from '../../../../src/mime/decode/base64.js';
import { Base64StreamDecoder } from '../../../../src/mime/decode/base64-stream.js';
import { decodeBody } from '../../../../src/mime/decode/body.js';
import { decodedSlices, decodesInSlices, streamDecoder } from '../../../../src/mime/decode/decoded-slices.js';
import type { StreamDecoder } from '../../../../src/mime/decode/stream-decoder.js';
import { bufferSource } from '../../../../src/mime/byte-source.js';
import { walkMessage } from '../../../../src/mime/index.js';
import { prng } from '../../../helpers/messages.js';
import { scanCorpus } from '../../../helpers/scan-corpus.js';
import { richMessage } from '../messages.js';
import { brokenBase64, lines, mutate, ODD_BASE64, textMutation } from './text-mutations.js';

type Slicing = (length: number) => number[];

const bySize = (size: number): Slicing => (length) => {
  const cuts: number[] = [];
  for (let at = size; at < length; at += size) cuts.push(at);
  return cuts;
};
const randomCuts = (seed: number): Slicing => (length) => {
  const random = prng(seed);
  const cuts: number[] = [];
  for (let at = 1 + Math.floor(random() * 200); at < length; at += 1 + Math.floor(random() * 5000)) cuts.push(at);
  return cuts;
};

function slicings(length: number): Array<[string, Slicing]> {
  return [
    ...(length <= 20_000 ? [['1 byte', bySize(1)] as [string, Slicing]] : []),
    ['seeded random', randomCuts(length)],
    ['64 KiB', bySize(64 * 1024)],
    ['whole', () => []],
  ];
}

function streamed(decoder: StreamDecoder, body: Buffer, cuts: number[]): Buffer {
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, body.length]) {
    // A fresh copy per slice, overwritten afterwards: the decoder must not keep a view of it.
    const slice = Buffer.from(body.subarray(from, cut));
    out.push(Buffer.from(decoder.write(slice)));
    slice.fill(0x21);
    from = cut;
  }
  out.push(decoder.end());
  return Buffer.concat(out);
}

function agrees(body: Buffer, encoding: string, message: string): void {
  const expected = decodeBody(body, encoding);
  const reference = encoding === 'base64' ? decodeBase64Inspected(body).inspection : undefined;
  for (const [name, slicing] of slicings(body.length)) {
    const decoder = streamDecoder(encoding)!;
    const actual = streamed(decoder, body, slicing(body.length));
    assert.ok(actual.equals(expected), `${encoding} bytes at ${name}: ${message}`);
    if (decoder instanceof Base64StreamDecoder) assert.deepEqual(decoder.inspection(), reference, `base64 inspection at ${name}: ${message}`);
  }
}

const ODD_QP = ['=', '= ', '=\r\n', '=\n', '=4', '=41', '=4g', '==41', ' ', '\t', ' \r\n', '\t\n', '\r', '\n', '\x00', '\xff', 'a'];

function quotedPrintable(data: Uint8Array, lineChars: number, eol: string): string {
  let out = '';
  let line = 0;
  for (const byte of data) {
    const piece = (byte >= 0x21 && byte <= 0x7e && byte !== 0x3d) || byte === 0x20 || byte === 0x09 ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    if (line + piece.length > lineChars) {
      out += `=${eol}`;
      line = 0;
    }
    out += piece;
    line += piece.length;
  }
  return out;
}

describe('streaming transfer decoders give the whole-body decoders\' bytes at every slicing', () => {
  it('on every base64 and quoted-printable part of the corpus messages', () => {
    const messages = [richMessage(), ...scanCorpus().map((entry) => entry.bytes)];
    let parts = 0;
    for (const message of messages) {
      for (const part of walkMessage(message).parts) {
        if (part.origin !== 'mime' || !decodesInSlices(part.transferEncoding)) continue;
        agrees(part.source.read(part.bodyRange.start, part.bodyRange.end), part.transferEncoding, `part ${part.path}`);
        parts++;
      }
    }
    assert.ok(parts >= 10, `corpus parts decoded: ${parts}`);
  });

  it('on seeded random base64 bodies of every layout, clean and broken', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 4000 }),
        fc.record({ lineChars: fc.constantFrom(1, 3, 4, 60, 76, 77, 1000, 100_000), eol: fc.constantFrom('\r\n', '\n', '\r'), finalEol: fc.boolean() }),
        fc.array(textMutation(ODD_BASE64), { maxLength: 3 }),
        fc.option(fc.nat({ max: 6000 }), { nil: undefined }),
        fc.boolean(),
        (data, layout, mutations, cut, concatenated) => {
          const text = brokenBase64(data, layout, mutations, cut, concatenated);
          agrees(Buffer.from(text, 'latin1'), 'base64', JSON.stringify({ ...layout, mutations, cut, concatenated, length: data.length }));
        },
      ),
      { numRuns: 400, seed: 47 },
    );
  });

  it('on seeded random quoted-printable bodies, clean and broken', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.record({ lineChars: fc.constantFrom(4, 76, 1000, 200_000), eol: fc.constantFrom('\r\n', '\n', '\r') }),
        fc.array(textMutation(ODD_QP), { maxLength: 4 }),
        (data, { lineChars, eol }, mutations) => {
          const text = mutate(quotedPrintable(data, lineChars, eol), mutations);
          agrees(Buffer.from(text, 'latin1'), 'quoted-printable', JSON.stringify({ lineChars, eol, mutations, length: data.length }));
        },
      ),
      { numRuns: 400, seed: 47 },
    );
  });

  it('on large bodies spanning many native chunks, and lines longer than the carry limit', () => {
    const random = prng(47);
    const data = Buffer.alloc(700_000);
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(random() * 256);
    const encoded = data.toString('base64');
    agrees(Buffer.from(lines(encoded, 76, '\r\n', true), 'latin1'), 'base64', '76 CRLF');
    agrees(Buffer.from(lines(encoded, 76, '\r\n', true).replace('A', '\x00'), 'latin1'), 'base64', 'stray byte');
    agrees(Buffer.from(encoded, 'latin1'), 'base64', 'unbroken');
    agrees(Buffer.from(lines(encoded, 76, '\r', true), 'latin1'), 'base64', 'CR only');
    agrees(Buffer.from(quotedPrintable(data, 76, '\r\n'), 'latin1'), 'quoted-printable', 'qp 76');
    agrees(Buffer.from(quotedPrintable(data, 10_000_000, '\r\n'), 'latin1'), 'quoted-printable', 'qp one line');
    agrees(Buffer.from(' '.repeat(200_000) + 'x' + ' '.repeat(200_000) + '=\r\n', 'latin1'), 'quoted-printable', 'qp whitespace line');
  });

  it('reads the encoded body through the part\'s source, one slice at a time', () => {
    const body = Buffer.from(lines(Buffer.alloc(300_000, 7).toString('base64'), 76, '\r\n', true), 'latin1');
    const reads: Array<[number, number]> = [];
    const source = { length: body.length, read: (start: number, end: number) => (reads.push([start, end]), body.subarray(start, end)) };
    const decoded = Buffer.concat([...decodedSlices(source, { start: 0, end: body.length }, streamDecoder('base64')!)]);
    assert.ok(decoded.equals(Buffer.alloc(300_000, 7)));
    assert.ok(reads.every(([start, end]) => end - start <= 64 * 1024));
    assert.equal(reads.length, Math.ceil(body.length / (64 * 1024)));
    void bufferSource;
  });
});
