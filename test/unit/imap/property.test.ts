// Property tests: random FETCH responses (items in any order; literals, literal8, quoted strings,
// NIL, nested lists with literals inside) go through the engine unchanged when nothing is
// replaced, and come out correctly re-framed when bodies are replaced, whatever the chunking.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { EngineDriver, MARKER, markerScanner, passThroughScanner, type Chunker, type Scanner } from './harness.js';

type Value =
  | { kind: 'atom'; text: string }
  | { kind: 'nil' }
  | { kind: 'quoted'; content: string }
  | { kind: 'literal'; content: Buffer; binary: boolean }
  | { kind: 'list'; items: Value[] };

interface Item {
  name: string;
  value: Value;
  /** The engine hands this item's content to the scanner. */
  scanned: boolean;
}

interface Response {
  seq: number;
  items: Item[];
}

const SCANNED_SECTIONS = ['BODY[]', 'BODY[TEXT]', 'BODY[1]', 'BODY[1.2]', 'BODY[2.TEXT]', 'RFC822', 'RFC822.TEXT'];
const BINARY_SECTIONS = ['BINARY[]', 'BINARY[3]', 'BINARY[1.1]'];
const PASSED_SECTIONS = ['BODY[HEADER]', 'BODY[HEADER.FIELDS (FROM TO)]', 'BODY[1.MIME]', 'RFC822.HEADER', 'BODY[HEADER.FIELDS.NOT ("X-A")]', 'BODY[2.HEADER]'];
const TRICKY = ['\r\n', '{5}\r\n', '~{3}\r\n', ')', '(', '"', '\\', '* 1 FETCH (BODY[] {2}\r\n', 'a1 OK done\r\n', ' ', MARKER, 'NIL', '\n'];

const bytes = fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a));
const literalContent = (binary: boolean): fc.Arbitrary<Buffer> =>
  fc
    .array(fc.oneof(fc.constantFrom(...TRICKY).map((t) => Buffer.from(t, 'latin1')), bytes), { maxLength: 8 })
    .map((parts) => {
      const content = Buffer.concat(parts);
      if (!binary) for (let i = 0; i < content.length; i++) if (content[i] === 0) content[i] = 1;
      return content;
    });
const quotedContent = fc
  .array(fc.oneof(fc.constantFrom('"', '\\', ' ', MARKER, '(', ')', '{5}'), fc.stringMatching(/^[\x20-\x7e]{0,10}$/)), { maxLength: 6 })
  .map((parts) => parts.join(''));

const nstringValue: fc.Arbitrary<Value> = fc.oneof(
  fc.constant<Value>({ kind: 'nil' }),
  quotedContent.map<Value>((content) => ({ kind: 'quoted', content })),
  literalContent(false).map<Value>((content) => ({ kind: 'literal', content, binary: false })),
);
const bodyValue = (binary: boolean): fc.Arbitrary<Value> =>
  binary
    ? fc.oneof(nstringValue, literalContent(true).map<Value>((content) => ({ kind: 'literal', content, binary: true })))
    : nstringValue;

const nestedList: fc.Arbitrary<Value> = fc.letrec<{ list: Value; element: Value }>((tie) => ({
  list: fc.array(tie('element'), { maxLength: 4 }).map<Value>((items) => ({ kind: 'list', items })),
  element: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nstringValue,
    fc.stringMatching(/^[A-Za-z0-9.\\$-]{1,8}$/).map<Value>((text) => ({ kind: 'atom', text })),
    tie('list'),
  ),
})).list;

const number = fc.nat({ max: 4_000_000 }).map<Value>((n) => ({ kind: 'atom', text: String(n) }));

const item: fc.Arbitrary<Item> = fc.oneof(
  fc.constantFrom(...SCANNED_SECTIONS).chain((name) => bodyValue(false).map((value) => ({ name, value, scanned: value.kind === 'quoted' || value.kind === 'literal' }))),
  fc.constantFrom(...BINARY_SECTIONS).chain((name) => bodyValue(true).map((value) => ({ name, value, scanned: value.kind === 'quoted' || value.kind === 'literal' }))),
  fc.constantFrom(...PASSED_SECTIONS).chain((name) => nstringValue.map((value) => ({ name, value, scanned: false }))),
  // Partial answers nobody asked for pass unscanned (reported as such).
  fc.tuple(fc.constantFrom('BODY[]', 'BODY[2]'), fc.nat({ max: 99999 }), nstringValue).map(([name, origin, value]) => ({ name: `${name}<${origin}>`, value, scanned: false })),
  fc.constantFrom('UID', 'RFC822.SIZE', 'BINARY.SIZE[1]').chain((name) => number.map((value) => ({ name, value, scanned: false }))),
  fc.constantFrom('ENVELOPE', 'BODYSTRUCTURE', 'BODY', 'FLAGS', 'X-GM-LABELS', 'MODSEQ').chain((name) => nestedList.map((value) => ({ name, value, scanned: false }))),
  quotedContent.map((content) => ({ name: 'INTERNALDATE', value: { kind: 'quoted' as const, content }, scanned: false })),
);

const response: fc.Arbitrary<Response> = fc.record({ seq: fc.integer({ min: 1, max: 99999 }), items: fc.array(item, { maxLength: 6 }) });

function quote(content: string): string {
  return `"${content.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function renderValue(value: Value): Buffer {
  switch (value.kind) {
    case 'atom':
      return Buffer.from(value.text, 'latin1');
    case 'nil':
      return Buffer.from('NIL');
    case 'quoted':
      return Buffer.from(quote(value.content), 'latin1');
    case 'literal':
      return Buffer.concat([Buffer.from(`${value.binary ? '~' : ''}{${value.content.length}}\r\n`), value.content]);
    case 'list': {
      const parts: Buffer[] = [Buffer.from('(')];
      value.items.forEach((v, i) => {
        if (i > 0) parts.push(Buffer.from(' '));
        parts.push(renderValue(v));
      });
      parts.push(Buffer.from(')'));
      return Buffer.concat(parts);
    }
  }
}

/** The response as the server sends it, or (with a scanner) as the client must receive it. */
function render(r: Response, scanner?: Scanner): Buffer {
  const parts: Buffer[] = [Buffer.from(`* ${r.seq} FETCH (`)];
  r.items.forEach((it, i) => {
    if (i > 0) parts.push(Buffer.from(' '));
    parts.push(Buffer.from(`${it.name} `, 'latin1'));
    const v = it.value;
    if (scanner && it.scanned && (v.kind === 'quoted' || v.kind === 'literal')) {
      const original = v.kind === 'quoted' ? Buffer.from(v.content, 'latin1') : v.content;
      const scanned = scanner(original, { protocol: 'imap', section: it.name });
      if (v.kind === 'quoted' && scanned.equals(original)) parts.push(renderValue(v));
      else parts.push(Buffer.from(`${v.kind === 'literal' && v.binary ? '~' : ''}{${scanned.length}}\r\n`), scanned);
    } else {
      parts.push(renderValue(v));
    }
  });
  parts.push(Buffer.from(')\r\n'));
  return Buffer.concat(parts);
}

function stream(responses: Response[], scanner?: Scanner): Buffer {
  return Buffer.concat([...responses.map((r) => render(r, scanner)), Buffer.from('* 9 EXISTS\r\nz1 OK done\r\n')]);
}

function splitAt(points: number[]): Chunker {
  return (data) => {
    const cuts = [...new Set(points.map((p) => p % (data.length + 1)))].sort((a, b) => a - b);
    const out: Buffer[] = [];
    let pos = 0;
    for (const cut of cuts) {
      if (cut > pos) out.push(data.subarray(pos, cut));
      pos = Math.max(pos, cut);
    }
    out.push(data.subarray(pos));
    return out;
  };
}

function run(input: Buffer, scanner: Scanner, chunker?: Chunker): EngineDriver {
  const d = new EngineDriver({ scanner });
  d.server(input, chunker);
  return d;
}

const RUNS = { numRuns: Number(process.env.IMAP_PROPERTY_RUNS ?? 300) };

describe('random FETCH responses', () => {
  test('pass through unchanged when nothing is replaced, in any chunking', () => {
    fc.assert(
      fc.property(fc.array(response, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 12 }), (responses, cuts) => {
        const input = stream(responses);
        const d = run(input, passThroughScanner, splitAt(cuts));
        assert.ok(d.clientBytes.equals(input), 'same bytes');
        const expectedBodies = responses.flatMap((r) => r.items).filter((i) => i.scanned).length;
        assert.equal(d.bodies.size, expectedBodies);
        assert.ok(d.bodyList.every((b) => b.released));
      }),
      RUNS,
    );
  });

  test('replaced bodies come out as correctly framed literals (different-length replacement)', () => {
    const scanner = markerScanner('<<a longer replacement>>');
    fc.assert(
      fc.property(fc.array(response, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 12 }), (responses, cuts) => {
        const d = run(stream(responses), scanner, splitAt(cuts));
        assert.ok(d.clientBytes.equals(stream(responses, scanner)));
      }),
      RUNS,
    );
  });

  test('one byte at a time gives the same output and events as one chunk', () => {
    fc.assert(
      fc.property(fc.array(response, { minLength: 1, maxLength: 3 }), (responses) => {
        const input = stream(responses);
        const scanner = markerScanner('-');
        const a = run(input, scanner);
        const b = run(input, scanner, (data) => Array.from({ length: data.length }, (_, i) => data.subarray(i, i + 1)));
        assert.deepEqual(b.snapshot(), a.snapshot());
      }),
      { numRuns: Math.ceil(RUNS.numRuns / 3) },
    );
  });
});
