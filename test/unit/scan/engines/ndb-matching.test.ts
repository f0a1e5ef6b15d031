import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BodyDatabase, type BodyMatcherOptions } from '../../../../src/scan/engines/builtin/body/body-database.js';
import { parseNdbLine, type NdbSignature } from '../../../../src/scan/engines/builtin/body/ndb-line.js';
import type { DetectedType } from '../../../../src/types/verdict.js';
import { regExpMatches } from './reference-matchers.js';

function signature(line: string): NdbSignature {
  const result = parseNdbLine(line);
  if (!result.ok || !result.value) throw new Error(`bad test signature ${line}`);
  return result.value;
}

/** Names found in data by a database of the given lines, fed in slices of sliceBytes. */
function scan(lines: string[], data: Buffer | string, detectedType: DetectedType = 'unknown', sliceBytes = 7, options: BodyMatcherOptions = {}): string[] {
  const database = new BodyDatabase(options);
  for (const line of lines) database.add(signature(line));
  const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1');
  const bodyScan = database.startScan(buffer, detectedType);
  for (let start = 0; start < buffer.length; start += sliceBytes) bodyScan.feed(start, Math.min(buffer.length, start + sliceBytes));
  return bodyScan.names();
}

const hex = (text: string): string => Buffer.from(text, 'latin1').toString('hex');
const DATA = 'HEADER--ABCDEFGHIJKLMNOPQRSTUVWXYZ--abcdefghij--0123456789--TAIL';

/** [signature, expected] pairs, each checked against clamd 1.4 by hand with the same data. */
const CASES: Array<[string, boolean]> = [
  [`${hex('ABCD')}`, true],
  ['4142??44', true],
  ['41424?44', true],
  ['4142?344', true],
  ['4142?444', false],
  [`${hex('ABCD')}*${hex('0123')}`, true],
  [`${hex('0123')}*${hex('ABCD')}`, false],
  [`${hex('ABCD')}{2}${hex('GH')}`, true],
  [`${hex('ABCD')}{3}${hex('GH')}`, false],
  [`${hex('ABCD')}{1-5}${hex('GH')}`, true],
  [`${hex('ABCD')}{1-}${hex('GH')}`, true],
  [`${hex('ABCD')}{-2}${hex('GH')}`, true],
  [`${hex('ABCD')}{-1}${hex('GH')}`, false],
  [`${hex('ABCD')}{200}${hex('GH')}`, false],
  [`${hex('ABCD')}{0-200}${hex('EF')}`, true],
  [`${hex('ABCD')}{0}${hex('EF')}`, true],
  [`${hex('ABCD')}[1-3]47`, true],
  ['4142(43|58)44', true],
  ['4142(4344|5859)4546', true],
  ['41424344(4546|5859)', true],
  ['4142(43|5859)4445', true],
  ['41424344(45??|58)4748', true],
  ['41424344(58??|59)4748', false],
  ['4142!(58|59)44', true],
  ['4142!(43|59)44', false],
  ['41424344!(5859|5a5a)4748', true],
  ['41424344!(4546|5a5a)4748', false],
  ['(41|42)424344', true],
  ['??424344', true],
  [`${hex('ABCD')}*${hex('JK')}*${hex('0123')}`, true],
  [`${hex('ABCD')}*${hex('0123')}*${hex('JK')}`, false],
];

describe('.ndb wildcards (cases cross-checked with clamd)', () => {
  for (const [pattern, expected] of CASES) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'}`, () => {
      assert.deepEqual(scan([`W:0:*:${pattern}`], DATA), expected ? ['W'] : []);
      assert.equal(regExpMatches(signature(`W:0:*:${pattern}`).tokens, { kind: 'any' }, Buffer.from(DATA, 'latin1')), expected);
    });
  }
});

describe('.ndb offsets', () => {
  it('absolute offsets pin the first byte', () => {
    assert.deepEqual(scan(['W:0:0:48454144'], DATA), ['W']);
    assert.deepEqual(scan(['W:0:8:41424344'], DATA), ['W']);
    assert.deepEqual(scan(['W:0:9:41424344'], DATA), []);
    assert.deepEqual(scan(['W:0:6,3:41424344'], DATA), ['W']);
    assert.deepEqual(scan(['W:0:5,2:41424344'], DATA), []);
    assert.deepEqual(scan([`W:0:8:${hex('ABCD')}*${hex('TAIL')}`], DATA), ['W']);
    assert.deepEqual(scan([`W:0:9:${hex('ABCD')}*${hex('TAIL')}`], DATA), []);
  });

  it('EOF-n counts back from the end', () => {
    assert.deepEqual(scan(['W:0:EOF-4:5441494c'], DATA), ['W']);
    assert.deepEqual(scan(['W:0:EOF-5:5441494c'], DATA), []);
    assert.deepEqual(scan(['W:0:EOF-5,1:5441494c'], DATA), ['W']);
    assert.deepEqual(scan(['W:0:EOF-999:5441494c'], DATA), []);
  });
});

describe('.ndb target types', () => {
  it('type 0 matches any file; typed signatures only their type', () => {
    assert.deepEqual(scan(['W:1:*:41424344'], DATA, 'unknown'), []);
    assert.deepEqual(scan(['W:1:*:41424344'], DATA, 'pe'), ['W']);
    assert.deepEqual(scan(['W:0:*:41424344'], DATA, 'pdf'), ['W']);
  });
});

describe('BodyDatabase', () => {
  it('finds matches across slice boundaries and reports each name once', () => {
    const data = `${'x'.repeat(100)}ABCDEFGH${'y'.repeat(100)}ABCDEFGH`;
    for (const slice of [1, 3, 5, 8, 1000]) assert.deepEqual(scan(['A:0:*:4142434445464748', 'B:0:*:45464748'], data, 'unknown', slice), ['A', 'B']);
  });

  it('keeps signatures that share an anchor apart', () => {
    assert.deepEqual(scan(['A:0:*:4142434445464748', 'B:0:*:414243444546474858', 'C:0:*:58??4142434445464748'], 'ABCDEFGHX'), ['A', 'B']);
  });

  it('rejects a signature without two plain bytes in a row', () => {
    const database = new BodyDatabase();
    assert.throws(() => database.add(signature('W:0:*:41??42??43')), /two consecutive plain hex bytes/);
  });

  it('does no per-signature work where no anchor occurs (1,000 patterns over 4 MB)', () => {
    const database = new BodyDatabase();
    for (let i = 0; i < 1000; i++) database.add(signature(`S${i}:0:*:${(i * 7919).toString(16).padStart(8, '0')}c0ffee${i.toString(16).padStart(4, '0')}`));
    const data = Buffer.alloc(4 << 20, 0x5a);
    const bodyScan = database.startScan(data, 'unknown');
    bodyScan.feed(0, data.length);
    assert.deepEqual(bodyScan.names(), []);
    assert.deepEqual(bodyScan.work, { anchorHits: 0, localChecks: 0, wholeFileChecks: 0 });
  });
});

// Random signatures in a small alphabet, random data in the same alphabet so that matches happen,
// compared with a regular expression built from the same tokens.
const ALPHABET = [0x41, 0x42, 0x43, 0x00];
const byteHex = fc.constantFrom(...ALPHABET).map((b) => b.toString(16).padStart(2, '0'));
const plainRun = fc.array(byteHex, { minLength: 2, maxLength: 4 }).map((bytes) => bytes.join(''));
const element = fc.oneof(
  plainRun,
  byteHex,
  fc.constant('??'),
  byteHex.map((h) => `${h[0]}?`),
  byteHex.map((h) => `?${h[1]}`),
  fc.nat({ max: 3 }).map((n) => `{${n}}`),
  fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 3 })).map(([a, b]) => `{${a}-${a + b}}`),
  fc.nat({ max: 3 }).map((n) => `{-${n}}`),
  fc.nat({ max: 3 }).map((n) => `{${n}-}`),
  fc.constant('*'),
  fc.array(fc.oneof(byteHex, plainRun, byteHex.map((h) => `${h}??`)), { minLength: 2, maxLength: 3 }).map((options) => `(${options.join('|')})`),
  fc.integer({ min: 1, max: 2 }).chain((length) =>
    fc.array(fc.array(byteHex, { minLength: length, maxLength: length }).map((b) => b.join('')), { minLength: 1, maxLength: 3 }).map((options) => `!(${options.join('|')})`),
  ),
);
const hexSignature = fc
  .tuple(plainRun, fc.array(element, { maxLength: 5 }), plainRun)
  .map(([first, middle, last]) => [first, ...middle, last].join(''));
const offsetText = fc.oneof(
  fc.constant('*'),
  fc.constant('*'),
  fc.nat({ max: 20 }).map(String),
  fc.tuple(fc.nat({ max: 20 }), fc.nat({ max: 10 })).map(([n, s]) => `${n},${s}`),
  fc.nat({ max: 30 }).map((n) => `EOF-${n}`),
);
const data = fc.array(fc.constantFrom(...ALPHABET, 0x44), { maxLength: 120 }).map((bytes) => Buffer.from(bytes));

/** Anchors searched natively (Buffer.indexOf, the default for a few) and by the automaton. */
const MATCHERS: Array<[string, BodyMatcherOptions]> = [
  ['native search', {}],
  ['automaton', { nativeAnchorLimit: 0 }],
];

describe('.ndb matching against a regular-expression reference', () => {
  for (const [matcher, options] of MATCHERS) {
    it(`agrees on random signatures and data (${matcher})`, () => {
      fc.assert(
        fc.property(hexSignature, offsetText, data, fc.integer({ min: 1, max: 16 }), (pattern, offset, content, slice) => {
          const line = `R:0:${offset}:${pattern}`;
          const parsedLine = signature(line);
          const expected = regExpMatches(parsedLine.tokens, parsedLine.offset, content);
          assert.deepEqual(scan([line], content, 'unknown', slice, options), expected ? ['R'] : [], line);
        }),
        { numRuns: 3000 },
      );
    });
  }

  it('agrees with several signatures at once, whichever matcher finds their anchors', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(hexSignature, offsetText), { minLength: 1, maxLength: 12 }), data, fc.integer({ min: 1, max: 16 }), (signatures, content, slice) => {
        const lines = signatures.map(([pattern, offset], index) => `R${index}:0:${offset}:${pattern}`);
        const expected = lines.filter((line) => {
          const parsedLine = signature(line);
          return regExpMatches(parsedLine.tokens, parsedLine.offset, content);
        });
        const names = (found: string[]) => [...found].sort();
        for (const [, options] of MATCHERS) assert.deepEqual(names(scan(lines, content, 'unknown', slice, options)), names(expected.map((line) => line.split(':')[0])), lines.join('\n'));
      }),
      { numRuns: 500 },
    );
  });
});

describe('.ndb matching on degenerate data', () => {
  const lines = ['Run:0:*:41414141{0-1000}42', 'Star:0:*:41414141*4243'];
  const data = Buffer.alloc(2 << 20, 0x41);
  const scanCounting = (options: BodyMatcherOptions) => {
    const database = new BodyDatabase(options);
    for (const line of lines) database.add(signature(line));
    const bodyScan = database.startScan(data, 'unknown');
    for (let start = 0; start < data.length; start += 1 << 20) bodyScan.feed(start, Math.min(data.length, start + (1 << 20)));
    return bodyScan;
  };

  it('an anchor that occurs at every byte does not cost a check per byte (automaton)', () => {
    data[data.length - 1] = 0x41;
    const none = scanCounting({ nativeAnchorLimit: 0 });
    assert.deepEqual(none.names(), []);
    data[data.length - 1] = 0x42;
    const one = scanCounting({ nativeAnchorLimit: 0 });
    assert.deepEqual(one.names(), ['Run']);
    for (const { work } of [none, one]) {
      assert.ok(work.anchorHits > 2_000_000, `the anchor occurs at every byte (${work.anchorHits})`);
      // Per signature: at most the local-check budget (1,000), then one whole-file evaluation settles it.
      assert.ok(work.localChecks <= lines.length * 1000, `${work.localChecks} local checks`);
      assert.ok(work.wholeFileChecks <= lines.length, `${work.wholeFileChecks} whole-file evaluations`);
    }
    assert.deepEqual(scan(lines, data, 'unknown', 1 << 20, { nativeAnchorLimit: 0 }), ['Run'], 'the same through the scan helper');
  });

  it('the native search stops looking for an anchor once its signatures are settled', () => {
    data[data.length - 1] = 0x41;
    const none = scanCounting({});
    assert.deepEqual(none.names(), []);
    data[data.length - 1] = 0x42;
    const one = scanCounting({});
    assert.deepEqual(one.names(), ['Run']);
    for (const { work } of [none, one]) {
      // The budget of local checks, then the whole-file evaluations settle both signatures: no more hits.
      assert.ok(work.anchorHits <= lines.length * 1000 + 1, `${work.anchorHits} anchor hits`);
      assert.ok(work.localChecks <= lines.length * 1000, `${work.localChecks} local checks`);
      assert.ok(work.wholeFileChecks <= lines.length, `${work.wholeFileChecks} whole-file evaluations`);
    }
    assert.deepEqual(scan(lines, data, 'unknown', 1 << 20), ['Run'], 'the same through the scan helper');
  });
});

describe('.ndb signatures grouped by target type', () => {
  it('a file type no signature targets is not searched at all', () => {
    const database = new BodyDatabase();
    database.add(signature('PeOnly:1:*:4142434445464748'));
    database.add(signature('PdfOnly:10:*:5152535455565758'));
    assert.equal(database.matcherFor('text'), null);
    const bodyScan = database.startScan(Buffer.from('..ABCDEFGH..QRSTUVWX..'), 'text');
    bodyScan.feed(0, 22);
    assert.deepEqual(bodyScan.work, { anchorHits: 0, localChecks: 0, wholeFileChecks: 0 });
    assert.deepEqual(bodyScan.names(), []);
  });

  it('each type is searched only for the anchors of the signatures that target it', () => {
    const database = new BodyDatabase({ nativeAnchorLimit: 0 });
    // Six-byte patterns, each its own anchor: "Aa-pe!", "Bb-pe!", ...
    const pePattern = (i: number): string => `${String.fromCharCode(65 + i, 97 + i)}-pe!`;
    for (let i = 0; i < 20; i++) database.add(signature(`Pe${i}:1:*:${Buffer.from(pePattern(i)).toString('hex')}`));
    database.add(signature('Any:0:*:616e792d616e63686f72'));
    const groups = database.prepare();
    const pe = groups.find((group) => group.types.includes('pe'))!;
    const text = groups.find((group) => group.types.includes('text'))!;
    assert.equal(pe.anchors, 21);
    assert.equal(text.anchors, 1);
    assert.ok(text.types.includes('unknown') && !text.types.includes('pe'));
    const data = Buffer.from(`${pePattern(7)} any-anchor ${pePattern(13)}`);
    for (const [type, expected] of [['pe', ['Pe7', 'Pe13', 'Any']], ['text', ['Any']]] as const) {
      const bodyScan = database.startScan(data, type);
      bodyScan.feed(0, data.length);
      assert.deepEqual(bodyScan.names(), expected);
      assert.equal(bodyScan.work.anchorHits, expected.length);
    }
  });
});

/** A streamed scan, the data handed in slices of sliceBytes (copied, then overwritten). */
function streamScan(lines: string[], content: Buffer, sliceBytes: number, options: BodyMatcherOptions = {}, detectedType: DetectedType = 'unknown') {
  const database = new BodyDatabase(options);
  for (const line of lines) database.add(signature(line));
  const bodyScan = database.startStreamScan(detectedType);
  for (let start = 0; start < content.length; start += sliceBytes) {
    const slice = Buffer.from(content.subarray(start, start + sliceBytes));
    bodyScan.feed(slice);
    slice.fill(0xee);
  }
  bodyScan.end();
  return bodyScan;
}

/** Whether the signature fits a window: offset '*' and no unbounded gap. */
const windowable = (pattern: string, offset: string): boolean => offset === '*' && !/\*|\{\d+-\}/.test(pattern);

describe('.ndb matching streamed slice by slice', () => {
  for (const [matcher, options] of MATCHERS) {
    it(`agrees with the regular-expression reference, or asks for the whole file for a signature that needs it (${matcher})`, () => {
      fc.assert(
        fc.property(hexSignature, offsetText, data, fc.integer({ min: 1, max: 16 }), (pattern, offset, content, slice) => {
          const line = `R:0:${offset}:${pattern}`;
          const streamed = streamScan([line], content, slice, options);
          const parsedLine = signature(line);
          const expected = regExpMatches(parsedLine.tokens, parsedLine.offset, content);
          if (windowable(pattern, offset)) assert.equal(streamed.needsWholeFile, false, line);
          // Without its anchor, a signature cannot match: the streamed answer holds.
          if (!streamed.needsWholeFile) assert.deepEqual(streamed.names(), expected ? ['R'] : [], line);
          else assert.equal(windowable(pattern, offset), false, line);
        }),
        { numRuns: 3000 },
      );
    });
  }

  it('agrees with the whole-file scan with several signatures at once, at every slicing', () => {
    fc.assert(
      fc.property(fc.array(hexSignature, { minLength: 1, maxLength: 12 }), data, fc.integer({ min: 1, max: 40 }), (patterns, content, slice) => {
        const lines = patterns.filter((pattern) => windowable(pattern, '*')).map((pattern, index) => `R${index}:0:*:${pattern}`);
        for (const [, options] of MATCHERS) assert.deepEqual(streamScan(lines, content, slice, options).names(), scan(lines, content, 'unknown', content.length || 1, options), lines.join('\n'));
      }),
      { numRuns: 500 },
    );
  });

  it('asks for the whole file only when the anchor of a signature that needs it occurs in a file of a type it applies to', () => {
    const lines = ['Bounded:0:*:41424344', 'PeStar:1:*:5152535455565758*45464748'];
    const asks = (data: string, type: DetectedType) => streamScan(lines, Buffer.from(data), 3, {}, type).needsWholeFile;
    assert.equal(asks('xxABCDxxQRSTUVWXxx', 'text'), false);
    assert.equal(asks('xxABCDxxQRSTUVWXxx', 'pe'), true);
    assert.equal(asks('xxABCDxxQRSTxxEFGH', 'pe'), false);
    assert.deepEqual(streamScan(lines, Buffer.from('xxABCDxx'), 3, {}, 'pe').names(), ['Bounded']);
    assert.equal(streamScan(['Long:0:*:4142{70000}4344'], Buffer.from('xxABxx'), 1).needsWholeFile, true);
  });

  it('copies only the bytes it keeps between slices until a hit needs a window', () => {
    const lines = ['Wild:0:*:5152535455565758{0-40}41', 'Plain:0:*:6162636465666768'];
    const content = Buffer.alloc(1 << 20, 0x2e);
    for (const [, options] of MATCHERS) {
      const quiet = streamScan(lines, content, 64 * 1024, options);
      assert.deepEqual([quiet.names(), quiet.work.windowBytes], [[], 0]);
      const withHit = streamScan(lines, Buffer.concat([content, Buffer.from('QRSTUVWX...A')]), 64 * 1024, options);
      assert.deepEqual(withHit.names(), ['Wild']);
      assert.ok(withHit.work.windowBytes > 0 && withHit.work.windowBytes <= 64 * 1024 + 100, `${withHit.work.windowBytes} window bytes`);
    }
  });

  it('an anchor at every byte costs the local-check budget, then one evaluation per slice over the window', () => {
    const lines = ['Run:0:*:41414141{0-1000}42'];
    const content = Buffer.alloc(2 << 20, 0x41);
    for (const [matcher, options] of MATCHERS) {
      for (const last of [0x41, 0x42]) {
        content[content.length - 1] = last;
        const streamed = streamScan(lines, content, 64 * 1024, options);
        assert.deepEqual(streamed.names(), last === 0x42 ? ['Run'] : []);
        assert.ok(streamed.work.localChecks <= 1000, `${streamed.work.localChecks} local checks`);
        // The automaton reports every occurrence (cheap: the signature is no longer open); the native search stops.
        if (matcher === 'native search') assert.ok(streamed.work.anchorHits <= 1001, `${streamed.work.anchorHits} anchor hits`);
        assert.ok(streamed.work.windowedEvaluations <= content.length / (64 * 1024) + 1, `${streamed.work.windowedEvaluations} windowed evaluations`);
      }
    }
  });
});

// The native search looks for each anchor with the exact bytes all its signatures have around it: long
// runs sharing their first bytes (one anchor, different extensions), and data made of pieces of them
// (anchors without their extension, extensions cut at slice boundaries).
describe('.ndb native needles longer than the anchor', () => {
  const RUN_ALPHABET = [0x41, 0x42, 0x43];
  const longRun = fc.array(fc.constantFrom(...RUN_ALPHABET), { minLength: 8, maxLength: 40 }).map((bytes) => Buffer.from(bytes));
  const sharedStart = Buffer.from('ABCABCAB', 'latin1');
  const runs = fc.array(fc.tuple(fc.boolean(), longRun, fc.boolean(), longRun), { minLength: 1, maxLength: 4 });
  const toSignatures = (picked: Array<[boolean, Buffer, boolean, Buffer]>) =>
    picked.map(([shared, run, wildcard, second], index) => {
      const first = shared ? Buffer.concat([run.subarray(0, 4), sharedStart, run.subarray(4)]) : run;
      return `N${index}:0:*:${first.toString('hex')}${wildcard ? `{0-3}${second.toString('hex')}` : ''}`;
    });
  const pieces = (picked: Array<[boolean, Buffer, boolean, Buffer]>) =>
    fc.array(
      fc.oneof(
        fc.constantFrom(...picked.flatMap(([, run, , second]) => [run, second, sharedStart])).chain((run) =>
          fc.tuple(fc.nat({ max: run.length }), fc.nat({ max: run.length })).map(([a, b]) => run.subarray(Math.min(a, b), Math.max(a, b))),
        ),
        fc.array(fc.constantFrom(...RUN_ALPHABET, 0x44), { maxLength: 4 }).map((bytes) => Buffer.from(bytes)),
      ),
      { maxLength: 30 },
    );

  it('finds what the regular-expression reference finds, whole or streamed, at every slicing', () => {
    fc.assert(
      fc.property(
        runs.chain((picked) => fc.tuple(fc.constant(picked), pieces(picked), fc.integer({ min: 1, max: 50 }))),
        ([picked, parts, slice]) => {
          const lines = toSignatures(picked);
          const content = Buffer.concat(parts);
          const expected = lines.filter((line) => regExpMatches(signature(line).tokens, signature(line).offset, content)).map((line) => line.split(':')[0]);
          for (const [, options] of MATCHERS) {
            assert.deepEqual(scan(lines, content, 'unknown', slice, options), expected, lines.join('\n'));
            assert.deepEqual(streamScan(lines, content, slice, options).names(), expected, lines.join('\n'));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reports an anchor only where the bytes its signatures share stand around it', () => {
    const lines = ['Long:0:*:' + Buffer.from('xxEICAR-STANDARD-ANTIVIRUS-TEST-FILE', 'latin1').toString('hex')];
    const content = Buffer.from(`${'EICAR-ST...'.repeat(50)}xxEICAR-STANDARD-ANTIVIRUS-TEST-FILE`, 'latin1');
    const database = new BodyDatabase();
    for (const line of lines) database.add(signature(line));
    const bodyScan = database.startScan(content, 'unknown');
    bodyScan.feed(0, content.length);
    assert.deepEqual([bodyScan.names(), bodyScan.work.anchorHits], [['Long'], 1]);
    for (const slice of [1, 5, 17, 36, 1000]) assert.deepEqual(streamScan(lines, content, slice).names(), ['Long'], `slices of ${slice}`);
  });
});
