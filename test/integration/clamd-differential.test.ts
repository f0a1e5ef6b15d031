// Differential test: clamd and the builtin engine, given the same .hdb/.hsb/.ndb files, must agree on
// whether each sample is detected, and clamd's detection name must be one of the builtin's.
//
// Which samples are compared, and against which clamd:
//  - "raw" clamd (RAW_SCANNING: no unpacking, decoding or normalising): every sample. That is all
//    44 files of clamav-testfiles (archives, packed executables, OLE, PDF, HTML, mail, ...), EICAR
//    variants, random clean buffers, and files built to hit or just miss each .ndb wildcard form.
//  - clamd as configured in TEST-INFRA.md (unpacks archives and executables, normalises HTML and
//    text for type-3/7 signatures): only samples the builtin engine can judge the same way, i.e.
//    raw binary data: the generated samples and clam.exe. The other testfiles wrap clam.exe in
//    containers clamd opens and the builtin engine does not (the archive layer does that upstream).
// Only signature names (".UNOFFICIAL") are compared: the builtin engine's own EICAR detection and
// its heuristics have no clamd counterpart.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  CLAMAV_TESTFILES_DIR,
  CLAMD_PACKAGES,
  clamavTestfiles,
  RAW_SCANNING,
  startClamd,
  testfileHashSignatures,
  type ClamdServer,
} from '../../scripts/test-servers/clamd.js';
import { createBuiltinEngine, EICAR_STRING, type BuiltinEngine } from '../../src/scan/engines/builtin/index.js';
import { shippedSignatureDir } from '../../src/scan/engines/builtin/signatures/shipped-signature-dir.js';
import { createClamdEngine, type ClamdEngine } from '../../src/scan/engines/clamd/index.js';
import type { ContentInfo } from '../../src/scan/types.js';
import { removeDir, signatureDir } from '../unit/scan/engines/signature-dirs.js';
import { requireCommand } from '../helpers/require-servers.js';

function requireTestfiles(): string | false {
  if (existsSync(CLAMAV_TESTFILES_DIR)) return false;
  const reason = `${CLAMAV_TESTFILES_DIR} missing (apt-get install clamav-testfiles)`;
  if (process.env.CI === 'true') throw new Error(`integration test prerequisite missing under CI=true: ${reason}`);
  process.stderr.write(`SKIP integration: ${reason}\n`);
  return reason;
}

const skip = requireCommand('clamd', CLAMD_PACKAGES) || requireTestfiles();
const INFO: ContentInfo = { location: [], insideArchive: false };

/** Deterministic bytes (mulberry32), so that a failure can be reproduced. */
function seededBytes(seed: number, length: number): Buffer {
  let state = seed >>> 0;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

const hex = (bytes: Buffer): string => bytes.toString('hex');
const digest = (algorithm: string, data: Buffer): string => createHash(algorithm).update(data).digest('hex');

interface Sample {
  name: string;
  content: Buffer;
  /** Bytes the builtin engine judges exactly as clamd with its usual configuration. */
  raw: boolean;
}

/** Signatures for each wildcard form, and for each a file that matches and one that just misses. */
function wildcardCases(): { lines: string[]; samples: Sample[] } {
  const lines: string[] = [];
  const samples: Sample[] = [];
  let seed = 1000;
  const add = (form: string, pattern: (x: string, y: string) => string, hit: (x: Buffer, y: Buffer) => Buffer, miss: (x: Buffer, y: Buffer) => Buffer, offset = '*'): void => {
    const x = seededBytes(seed++, 8);
    const y = seededBytes(seed++, 8);
    const name = `Wild.${form}`;
    lines.push(`${name}:0:${offset}:${pattern(hex(x), hex(y))}`);
    const wrap = (middle: Buffer): Buffer => (offset === '*' ? Buffer.concat([seededBytes(seed++, 300), middle, seededBytes(seed++, 300)]) : middle);
    samples.push({ name: `${name}.hit`, content: wrap(hit(x, y)), raw: true });
    samples.push({ name: `${name}.miss`, content: wrap(miss(x, y)), raw: true });
  };
  const b = (...bytes: number[]): Buffer => Buffer.from(bytes);
  const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);
  const filler = (n: number): Buffer => Buffer.alloc(n, 0x5a);
  add('AnyByte', (x, y) => `${x}??${y}`, (x, y) => cat(x, b(0x99), y), (x, y) => cat(x, b(0x99, 0x99), y));
  add('HighNibble', (x, y) => `${x}4?${y}`, (x, y) => cat(x, b(0x4c), y), (x, y) => cat(x, b(0x5c), y));
  add('LowNibble', (x, y) => `${x}?c${y}`, (x, y) => cat(x, b(0x4c), y), (x, y) => cat(x, b(0x4d), y));
  add('Star', (x, y) => `${x}*${y}`, (x, y) => cat(x, filler(500), y), (x, y) => cat(y, filler(10), x));
  add('Exact', (x, y) => `${x}{5}${y}`, (x, y) => cat(x, filler(5), y), (x, y) => cat(x, filler(6), y));
  add('AtLeast', (x, y) => `${x}{5-}${y}`, (x, y) => cat(x, filler(50), y), (x, y) => cat(x, filler(4), y));
  add('AtMost', (x, y) => `${x}{-5}${y}`, (x, y) => cat(x, filler(3), y), (x, y) => cat(x, filler(6), y));
  add('Range', (x, y) => `${x}{3-6}${y}`, (x, y) => cat(x, filler(6), y), (x, y) => cat(x, filler(7), y));
  add('BigRange', (x, y) => `${x}{10-2000}${y}`, (x, y) => cat(x, filler(1999), y), (x, y) => cat(x, filler(2001), y));
  add('Alternative', (x, y) => `${x}(41|42)${y}`, (x, y) => cat(x, b(0x42), y), (x, y) => cat(x, b(0x43), y));
  add('MultiByteAlternative', (x, y) => `${x}(4142|4344)${y}`, (x, y) => cat(x, b(0x43, 0x44), y), (x, y) => cat(x, b(0x41, 0x44), y));
  add('GenericAlternative', (x, y) => `${x}(41??|42)${y}`, (x, y) => cat(x, b(0x41, 0x00), y), (x, y) => cat(x, b(0x41), y));
  add('NegatedAlternative', (x, y) => `${x}!(41|42)${y}`, (x, y) => cat(x, b(0x43), y), (x, y) => cat(x, b(0x41), y));
  add('NegatedMultiByte', (x, y) => `${x}!(4142|4344)${y}`, (x, y) => cat(x, b(0x41, 0x44), y), (x, y) => cat(x, b(0x43, 0x44), y));
  add('AnchoredByte', (x) => `${x}[1-3]a5`, (x) => cat(x, filler(2), b(0xa5)), (x) => cat(x, filler(4), b(0xa5)));
  add('Offset', (x, y) => `${x}${y}`, (x, y) => cat(filler(20), x, y, filler(30)), (x, y) => cat(filler(21), x, y, filler(30)), '20');
  add('FloatingOffset', (x, y) => `${x}${y}`, (x, y) => cat(filler(23), x, y, filler(30)), (x, y) => cat(filler(26), x, y, filler(30)), '20,5');
  add('EndOffset', (x, y) => `${x}${y}`, (x, y) => cat(filler(40), x, y, filler(10)), (x, y) => cat(filler(40), x, y, filler(11)), 'EOF-26');
  add('OffsetAndStar', (x, y) => `${x}*${y}`, (x, y) => cat(filler(7), x, filler(100), y), (x, y) => cat(filler(8), x, filler(100), y), '7');
  return { lines, samples };
}

function eicarSamples(): Sample[] {
  const eicar = Buffer.from(EICAR_STRING, 'latin1');
  const changed = Buffer.from(eicar);
  changed[40] ^= 1;
  return [
    { name: 'eicar', content: eicar, raw: true },
    { name: 'eicar+crlf', content: Buffer.concat([eicar, Buffer.from('\r\n')]), raw: true },
    { name: 'eicar+129', content: Buffer.concat([eicar, Buffer.alloc(61, 0x20)]), raw: true },
    { name: 'eicar-prefixed', content: Buffer.concat([Buffer.from('x'), eicar]), raw: true },
    { name: 'eicar-in-binary', content: Buffer.concat([seededBytes(1, 5000), eicar, seededBytes(2, 5000)]), raw: true },
    { name: 'eicar-one-byte-changed', content: changed, raw: true },
  ];
}

function randomSamples(): Sample[] {
  return [0, 1, 17, 68, 544, 4096, 65_537, 300_000, 1_000_000].map((length, i) => ({ name: `random-${length}`, content: seededBytes(500 + i, length), raw: true }));
}

/** Hash and body signatures taken from the test files, so that hashes of every kind and typed body signatures are exercised. */
function testfileSignatures(files: Array<{ name: string; content: Buffer }>): Record<string, string> {
  const byName = new Map(files.map((f) => [f.name, f.content]));
  const file = (name: string): Buffer => {
    const content = byName.get(name);
    if (!content) throw new Error(`missing test file ${name}`);
    return content;
  };
  const clamExe = file('clam.exe');
  return {
    'testfiles.hdb': testfileHashSignatures(),
    'extra.hsb': [
      `${digest('sha256', file('clam.zip'))}:${file('clam.zip').length}:Testfile.SHA256.clam.zip`,
      `${digest('sha1', file('clam.pdf'))}:${file('clam.pdf').length}:Testfile.SHA1.clam.pdf`,
      `${digest('sha256', file('clam.7z'))}:*:Testfile.SHA256.AnySize.clam.7z:73`,
      `${digest('md5', file('clam.cab'))}:*:Testfile.MD5.AnySize.clam.cab:73`,
      `${digest('sha1', clamExe)}:1:Testfile.SHA1.WrongSize.Never.Matches`,
    ].join('\n'),
    'extra.ndb': [
      'Testfile.Body.Any:0:*:434c414d657373616765426f7841',
      'Testfile.Body.PE:1:*:434c414d657373616765426f7841',
      'Testfile.Body.OLE:2:*:434c414d657373616765426f7841',
      'Testfile.Body.PDF:10:*:434c414d657373616765426f7841',
      `Testfile.Body.Wildcards:0:*:${hex(clamExe.subarray(0xc0, 0xcc))}??${hex(clamExe.subarray(0xcd, 0xd4))}{2-6}${hex(clamExe.subarray(0xd8, 0xe0))}*5b434c414d41565d`,
      `Testfile.Body.Offset:0:0:4d5a50000200`,
      `Testfile.Body.Alternatives:0:*:4b45524e454c(3332|3634)2e(44|64)4c4c`,
    ].join('\n'),
  };
}

interface Verdicts {
  builtin: string[];
  clamd: string[];
}

async function verdicts(builtin: BuiltinEngine, clamd: ClamdEngine, sample: Sample): Promise<Verdicts> {
  const [ours, theirs] = await Promise.all([builtin.scan(sample.content, INFO), clamd.scan(sample.content, INFO)]);
  const signatureNames = (names: string[]): string[] => names.filter((name) => name.endsWith('.UNOFFICIAL'));
  return { builtin: signatureNames(ours.map((f) => f.name)), clamd: signatureNames(theirs.map((f) => f.name)) };
}

/** Both engines loaded with the same files; stop() removes clamd and the temp directory. */
interface EnginePair {
  label: string;
  builtin: BuiltinEngine;
  clamd: ClamdEngine;
  stop(): Promise<void>;
}

async function enginePair(label: string, signatureFiles: Record<string, string>, config?: Record<string, string>): Promise<EnginePair> {
  const dir = signatureDir(signatureFiles);
  let server: ClamdServer | undefined;
  try {
    const builtin = await createBuiltinEngine({ signatureDirs: [dir], includeShippedSignatures: false });
    assert.deepEqual(builtin.warnings, [], `${label}: the builtin engine loads every signature clamd loads`);
    server = await startClamd({ signatureFiles, config });
    const clamd = createClamdEngine({ address: { socket: server.socketPath } });
    const running = server;
    return { label, builtin, clamd, stop: async () => (await running.stop(), removeDir(dir)) };
  } catch (err) {
    await server?.stop();
    removeDir(dir);
    throw err;
  }
}

/** Compares every sample; returns the names of the samples clamd detected. */
async function compare(pair: EnginePair, samples: Sample[]): Promise<string[]> {
  const detected: string[] = [];
  for (const sample of samples) {
    const result = await verdicts(pair.builtin, pair.clamd, sample);
    const detail = `${pair.label} / ${sample.name}: builtin [${result.builtin.join(', ')}] clamd [${result.clamd.join(', ')}]`;
    assert.equal(result.builtin.length > 0, result.clamd.length > 0, detail);
    for (const name of result.clamd) assert.ok(result.builtin.includes(name), detail);
    if (result.clamd.length > 0) detected.push(sample.name);
  }
  return detected;
}

describe('differential: clamd and the builtin engine on the same signatures', { skip }, () => {
  const wildcards = wildcardCases();
  let samples: Sample[];
  let testfiles: Array<{ name: string; content: Buffer }>;
  let allSignatures: Record<string, string>;
  let bodySignatures: Record<string, string>;
  const pairs: EnginePair[] = [];

  before(() => {
    testfiles = clamavTestfiles().map(({ name, path }) => ({ name, content: readFileSync(path) }));
    samples = [
      ...testfiles.map((f) => ({ name: f.name, content: f.content, raw: f.name === 'clam.exe' })),
      ...eicarSamples(),
      ...randomSamples(),
      ...wildcards.samples,
    ];
    const shipped = Object.fromEntries(['test.hdb', 'test.hsb', 'test.ndb'].map((name) => [name, readFileSync(`${shippedSignatureDir()}/${name}`, 'utf8')]));
    allSignatures = { ...shipped, ...testfileSignatures(testfiles), 'wildcards.ndb': `${wildcards.lines.join('\n')}\n` };
    bodySignatures = Object.fromEntries(Object.entries(allSignatures).filter(([name]) => name.endsWith('.ndb')));
  });
  after(async () => {
    await Promise.all(pairs.map((pair) => pair.stop()));
  });

  const pair = async (label: string, signatureFiles: Record<string, string>, config?: Record<string, string>): Promise<EnginePair> => {
    const created = await enginePair(label, signatureFiles, config);
    pairs.push(created);
    return created;
  };

  it('raw-scanning clamd, all signatures: same detections on every sample', async () => {
    const detected = await compare(await pair('raw/all', allSignatures, RAW_SCANNING), samples);
    // The comparison means something only if both outcomes occur, for every kind of sample.
    assert.equal(detected.filter((name) => testfiles.some((f) => f.name === name)).length, testfiles.length);
    assert.ok(detected.length >= testfiles.length + 4 + wildcards.samples.length / 2, `detected: ${detected.join(', ')}`);
    assert.ok(samples.length - detected.length >= wildcards.samples.length / 2 + 9);
  });

  it('raw-scanning clamd, body signatures only: same detections on every sample', async () => {
    const detected = await compare(await pair('raw/body', bodySignatures, RAW_SCANNING), samples);
    assert.ok(detected.includes('clam.exe') && detected.includes('clam.pdf') && detected.includes('clam.ole.doc'));
    for (const sample of wildcards.samples) assert.equal(detected.includes(sample.name), sample.name.endsWith('.hit'), sample.name);
  });

  it('raw-scanning clamd, one test-file body signature at a time (typed, wildcards, offset, alternatives)', async () => {
    const lines = testfileSignatures(testfiles)['extra.ndb'].split('\n');
    const created = await Promise.all(lines.map((line) => pair(`raw/${line.split(':')[0]}`, { 'one.ndb': `${line}\n` }, RAW_SCANNING)));
    for (const one of created) {
      const detected = await compare(one, samples);
      assert.ok(detected.length > 0, `${one.label} detects something`);
    }
  });

  it('clamd as configured for production: same detections on raw binary samples', async () => {
    const compared = samples.filter((sample) => sample.raw);
    assert.ok(compared.length >= 1 + 6 + 9 + wildcards.samples.length);
    await compare(await pair('default/all', allSignatures), compared);
  });

  it('every wildcard form is hit by its hit file and missed by its miss file (builtin, all names)', async () => {
    const withWildcards = pairs.find((p) => p.label === 'raw/body') ?? (await pair('wildcards', bodySignatures, RAW_SCANNING));
    for (const sample of wildcards.samples) {
      const names = (await withWildcards.builtin.scan(sample.content, INFO)).map((f) => f.name).filter((name) => name.startsWith('Wild.'));
      const expected = sample.name.endsWith('.hit') ? [`${sample.name.replace(/\.hit$/, '')}.UNOFFICIAL`] : [];
      assert.deepEqual(names, expected, sample.name);
    }
  });
});
