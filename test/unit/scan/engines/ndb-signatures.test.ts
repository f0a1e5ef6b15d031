import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHexPattern, type HexToken } from '../../../../src/scan/engines/builtin/body/hex-pattern.js';
import { parseNdbLine, type NdbSignature } from '../../../../src/scan/engines/builtin/body/ndb-line.js';

function parsed(line: string): NdbSignature | null {
  const result = parseNdbLine(line);
  assert.ok(result.ok, `expected '${line}' to parse: ${result.ok ? '' : result.message}`);
  return result.value;
}

function rejected(line: string, kind: 'malformed' | 'unsupported' = 'malformed'): string {
  const result = parseNdbLine(line);
  assert.ok(!result.ok, `expected '${line}' to be rejected`);
  assert.equal(result.kind, kind, result.message);
  return result.message;
}

describe('hex signature syntax', () => {
  it('reads bytes, any-byte and nibble wildcards', () => {
    assert.deepEqual(parseHexPattern('4A??4?' + '?b'), [
      { kind: 'byte', value: 0x4a, mask: 0xff },
      { kind: 'byte', value: 0, mask: 0 },
      { kind: 'byte', value: 0x40, mask: 0xf0 },
      { kind: 'byte', value: 0x0b, mask: 0x0f },
    ] satisfies HexToken[]);
  });

  it('reads every gap form', () => {
    const gaps = (text: string): Array<[number, number]> =>
      parseHexPattern(text).flatMap((t) => (t.kind === 'gap' ? [[t.min, t.max] as [number, number]] : []));
    assert.deepEqual(gaps('4142*4344'), [[0, Infinity]]);
    assert.deepEqual(gaps('4142{5}4344'), [[5, 5]]);
    assert.deepEqual(gaps('4142{5-}4344'), [[5, Infinity]]);
    assert.deepEqual(gaps('4142{-5}4344'), [[0, 5]]);
    assert.deepEqual(gaps('4142{2-5}4344'), [[2, 5]]);
    assert.deepEqual(gaps('4142[1-3]43'), [[1, 3]]);
  });

  it('reads alternatives, multi-byte, generic and negated', () => {
    const [, , alt] = parseHexPattern('4142(43|4445|46??)');
    assert.equal(alt.kind, 'alt');
    assert.equal(alt.kind === 'alt' && alt.options.length, 3);
    const [, , negated] = parseHexPattern('4142!(4344|4546)');
    assert.equal(negated.kind === 'alt' && negated.negated, true);
  });

  it('rejects broken syntax with the column', () => {
    for (const [text, reason] of [
      ['414', /odd/],
      ['41zz', /not a hex byte/],
      ['4142{x}43', /\{x\}/],
      ['4142{5-2}43', /upper bound/],
      ['4142{3', /missing '\}'/],
      ['4142(43|)', /empty alternative/],
      ['4142(43', /missing '\)'/],
      ['4142((43|44)|45)', /nested/],
      ['4142(43*44|45)', /inside alternatives/],
      ['4142!(43??|4445)', /negated/],
      ['*4142', /start or end/],
      ['4142*', /start or end/],
    ] as const) {
      assert.throws(() => parseHexPattern(text), reason, text);
    }
    assert.throws(() => parseHexPattern('4142(43|44'), /column/);
  });
});

describe('.ndb lines', () => {
  it('reads name, target type, offset and pattern', () => {
    const signature = parsed('Test.Sig:0:*:41424344');
    assert.equal(signature?.name, 'Test.Sig');
    assert.equal(signature?.target, 'any');
    assert.deepEqual(signature?.offset, { kind: 'any' });
    assert.deepEqual(parsed('A:0:10:41424344')?.offset, { kind: 'absolute', start: 10, shift: 0 });
    assert.deepEqual(parsed('A:0:10,5:41424344')?.offset, { kind: 'absolute', start: 10, shift: 5 });
    assert.deepEqual(parsed('A:0:EOF-4:41424344')?.offset, { kind: 'eof', back: 4, shift: 0 });
  });

  it('maps target types to detected file types', () => {
    const pe = parsed('A:1:*:41424344')?.target;
    assert.ok(pe !== 'any' && pe?.has('pe'));
    assert.equal(parsed('A:4:*:41424344')?.target, 'any');
  });

  it('honours MinFL and MaxFL', () => {
    assert.equal(parsed('A:0:*:41424344:999'), null);
    assert.equal(parsed('A:0:*:41424344:1:2'), null);
    assert.notEqual(parsed('A:0:*:41424344:1:999'), null);
  });

  it('rejects malformed lines', () => {
    assert.match(rejected('A:0:*'), /field/);
    assert.match(rejected(':0:*:41424344'), /name/);
    assert.match(rejected('A:x:*:41424344'), /target type/);
    assert.match(rejected('A:0:abc:41424344'), /offset/);
    assert.match(rejected('A:0:*:414243444'), /odd/);
    assert.match(rejected('A:0:*:41424344:x'), /level/);
  });

  it('reports valid but unimplemented features as unsupported', () => {
    assert.match(rejected('A:1:EP+10:41424344', 'unsupported'), /EP\+10/);
    assert.match(rejected('A:1:S2+4:41424344', 'unsupported'), /offset/);
    assert.match(rejected('A:1:SL+0:41424344', 'unsupported'), /offset/);
    assert.match(rejected('A:0:*:4142(B)4344', 'unsupported'), /\(B\)/);
    assert.match(rejected('A:15:*:41424344', 'unsupported'), /target type 15/);
  });
});
