// inspectMessage with every part large enough streamed (threshold 0) against every part decoded whole
// (threshold infinity): identical MessageInspection on the scan corpus and on messages built to hit
// the streaming path's edges (signatures across slice boundaries in base64, quoted-printable and 8-bit
// parts, hash signatures known only at the end, an anchor on every byte, file types decided by the
// head, parts that must fall back to whole content, skip rules and stored verdicts). The streamed
// parts never call decode() and hand the engines slices of bounded size, counted.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { analysisSchema } from '../../../src/config/analysis-schema.js';
import { parseRules, type Rule } from '../../../src/rules/index.js';
import { knownVerdicts, type KnownPart } from '../../../src/scan/analysis/known-parts.js';
import { defaultArchiveLimits } from '../../../src/scan/archive/index.js';
import { shapeOf } from '../../../src/scan/body-shape.js';
import { createBuiltinEngine, EICAR_STRING, type BuiltinEngine } from '../../../src/scan/engines/builtin/index.js';
import type { FileInspector } from '../../../src/scan/inspect-file.js';
import { inspectMessage } from '../../../src/scan/inspect-message.js';
import type { StreamedPart } from '../../../src/scan/inspect-streamed-part.js';
import type { VerdictRecord } from '../../../src/store/verdicts.js';
import type { BodyContext } from '../../../src/types/body-context.js';
import { bufferSource } from '../../../src/mime/byte-source.js';
import { decodedSlices, streamDecoder } from '../../../src/mime/decode/decoded-slices.js';
import { randomBytesFromSeed } from '../../helpers/messages.js';
import { scanCorpus } from '../../helpers/scan-corpus.js';
import { writeZip } from './archive/zip-writer.js';
import { minimalPe, oleFile, pdfFile } from './engines/samples.js';
import { removeDir, signatureDir } from './engines/signature-dirs.js';

const CONTEXT: BodyContext = { protocol: 'imap', section: 'BODY[]' };
const CRLF = '\r\n';
const MARKER = Buffer.from('STREAMED-MARKER-0123456789', 'latin1');
const HASHED = randomBytesFromSeed(150_000, 7);
const HASHED_ANY_SIZE = randomBytesFromSeed(90_001, 8);
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

const NDB = [
  `Test.Marker:0:*:${MARKER.toString('hex')}`,
  // Wildcards, a bounded gap and alternatives around the anchor: checked across slices.
  `Test.Wild:0:*:4d41??57{2-6}4152(45|46)2d4d41524b`,
  // Text only (target 7), PE only (target 1).
  `Test.TextOnly:7:*:${Buffer.from('evil-text-payload').toString('hex')}`,
  `Test.PeOnly:1:*:${Buffer.from('evil-pe-payload').toString('hex')}`,
  // Its only run is 7 'A's: a file of 'A's is an anchor hit on every byte.
  'Test.Degenerate:0:*:41414141414141{0-3}43',
  // Two segments: only a whole-file evaluation decides it, once its anchor ("STAR-ONE") occurs.
  `Test.Star:0:*:${Buffer.from('STAR-ONE').toString('hex')}*${Buffer.from('STAR-TWO').toString('hex')}`,
].join('\n');
const HDB = `${createHash('md5').update(HASHED).digest('hex')}:${HASHED.length}:Test.Hashed.MD5\n`;
const HSB = `${sha256(HASHED_ANY_SIZE)}:*:Test.AnySize.SHA256:73\n`;

function withMarker(data: Buffer, at: number, marker = MARKER): Buffer {
  const out = Buffer.from(data);
  marker.copy(out, at);
  return out;
}

function base64Body(data: Buffer, width = 76, eol = CRLF): string {
  const encoded = data.toString('base64');
  const lines: string[] = [];
  for (let at = 0; at < encoded.length; at += width) lines.push(encoded.slice(at, at + width));
  return lines.join(eol) + eol;
}

function quotedPrintableBody(text: Buffer): string {
  let out = '';
  let line = 0;
  for (const byte of text) {
    if (byte === 0x0a) {
      out += CRLF;
      line = 0;
      continue;
    }
    if (byte === 0x0d) continue;
    const piece = byte >= 0x21 && byte <= 0x7e && byte !== 0x3d ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    if (line + piece.length > 75) {
      out += `=${CRLF}`;
      line = 0;
    }
    out += piece;
    line += piece.length;
  }
  return out + CRLF;
}

interface PartSpec {
  name?: string;
  type?: string;
  encoding: string;
  body: string;
}

function message(parts: PartSpec[]): Buffer {
  let text = `From: a@example.org${CRLF}To: b@example.org${CRLF}Subject: streamed${CRLF}MIME-Version: 1.0${CRLF}Content-Type: multipart/mixed; boundary="B"${CRLF}${CRLF}`;
  for (const part of parts) {
    text += `--B${CRLF}Content-Type: ${part.type ?? 'application/octet-stream'}${part.name ? `; name="${part.name}"` : ''}${CRLF}`;
    if (part.name) text += `Content-Disposition: attachment; filename="${part.name}"${CRLF}`;
    text += `Content-Transfer-Encoding: ${part.encoding}${CRLF}${CRLF}${part.body}`;
  }
  return Buffer.from(`${text}--B--${CRLF}`, 'latin1');
}

const binary = (name: string, data: Buffer, type?: string): PartSpec => ({ name, type, encoding: 'base64', body: base64Body(data) });

function textWith(seed: number, size: number, insert: string, at: number): Buffer {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'quoted', 'printable', 'line', 'text=', 'tab\there', 'end '];
  let text = '';
  let state = seed;
  while (text.length < size) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    text += words[state % words.length] + (state % 11 === 0 ? '\n' : ' ');
  }
  return Buffer.from(text.slice(0, at) + insert + text.slice(at, size), 'latin1');
}

/** Where the decoded slices of a body end (the decoder's own cuts), for placing signatures across them. */
function sliceEnds(body: string, encoding: string): number[] {
  const encoded = Buffer.from(body, 'latin1');
  const ends: number[] = [];
  let at = 0;
  for (const slice of decodedSlices(bufferSource(encoded), { start: 0, end: encoded.length }, streamDecoder(encoding)!)) ends.push((at += slice.length));
  return ends.slice(0, -1);
}

const BASE64_ENDS = sliceEnds(base64Body(Buffer.alloc(200_000)), 'base64');
/** Straddling the first and second cut of a 76-column base64 body, ending at the third, and at the end. */
const BOUNDARIES = [BASE64_ENDS[0] - 10, BASE64_ENDS[1] - 1, BASE64_ENDS[2] - MARKER.length, 200_000 - MARKER.length];

function edgeMessages(): Array<[string, Buffer]> {
  const random = (size: number, seed: number) => randomBytesFromSeed(size, seed);
  const messages: Array<[string, Buffer]> = [];
  for (const at of BOUNDARIES) messages.push([`marker at ${at} in base64`, message([binary('data.bin', withMarker(random(200_000, at), at))])]);
  messages.push(['EICAR across a cut in base64', message([binary('eicar.bin', withMarker(random(200_000, 2), BASE64_ENDS[1] - 40, Buffer.from(EICAR_STRING, 'latin1')))])]);
  messages.push(['wildcard signature across a boundary', message([binary('wild.bin', withMarker(random(200_000, 3), BASE64_ENDS[0] - 8, Buffer.from('MA\x00W12345ARF-MARK', 'latin1')))])]);
  messages.push(['wildcard signature, gap too long', message([binary('wild.bin', withMarker(random(200_000, 4), BASE64_ENDS[0] - 8, Buffer.from('MA\x00W1234567ARF-MARK', 'latin1')))])]);
  for (const [encoding, encode] of [
    ['quoted-printable', quotedPrintableBody],
    ['8bit', (text: Buffer) => text.toString('latin1').replace(/\n/g, CRLF) + CRLF],
  ] as const) {
    const [first, second] = sliceEnds(encode(textWith(1, 200_000, '', 0)), encoding);
    for (const at of [first - 5, second - 20]) {
      messages.push([`marker at ${at} in ${encoding}`, message([{ name: 'notes.txt', type: 'text/plain', encoding, body: encode(textWith(1, 200_000, MARKER.toString('latin1'), at)) }])]);
    }
    messages.push([`EICAR across a cut in ${encoding}`, message([{ name: 'eicar.txt', type: 'text/plain', encoding, body: encode(textWith(2, 200_000, EICAR_STRING, first - 30)) }])]);
  }
  messages.push(['text-only signature in a text part', message([{ name: 'a.txt', type: 'text/plain', encoding: 'quoted-printable', body: quotedPrintableBody(textWith(9, 150_000, 'evil-text-payload', 100_000)) }])]);
  messages.push(['text-only signature in a binary part', message([binary('a.bin', withMarker(random(150_000, 10), 100_000, Buffer.from('evil-text-payload')))])]);
  const pe = Buffer.concat([minimalPe(), random(200_000, 11)]);
  messages.push(['PE-only signature in a PE', message([binary('tool.exe', withMarker(pe, 120_000, Buffer.from('evil-pe-payload')))])]);
  messages.push(['PE header pointing past the head', message([binary('far.exe', Buffer.concat([minimalPe(0x20000), random(200_000, 12)]).subarray(0, 0x20000 + 4096))])]);
  messages.push(['hash signature of the whole part', message([binary('hashed.bin', HASHED), binary('not-hashed.bin', withMarker(HASHED, 5, Buffer.from('x')))])]);
  messages.push(['any-size SHA-256 signature', message([binary('any.bin', HASHED_ANY_SIZE)])]);
  messages.push(['anchor on every byte, then a match', message([binary('as.bin', Buffer.concat([Buffer.alloc(300_000, 0x41), Buffer.from('C')]))])]);
  messages.push(['anchor on every byte, no match', message([binary('as.bin', Buffer.alloc(300_000, 0x41))])]);
  messages.push(['script by content', message([{ name: 'page.txt', type: 'text/plain', encoding: 'quoted-printable', body: quotedPrintableBody(textWith(13, 100_000, 'var x = new ActiveXObject("WScript.Shell"); eval(x); document.write(x);', 10)) }])]);
  messages.push(['double extension and declared type mismatch', message([binary('invoice.pdf.exe', pe, 'application/pdf')])]);
  messages.push(['PDF (decoded whole)', message([binary('doc.pdf', Buffer.concat([pdfFile('/OpenAction 1 0 R'), random(120_000, 14)]))])]);
  messages.push(['zip (decoded whole)', message([binary('a.zip', writeZip([{ name: 'big.bin', data: withMarker(random(150_000, 15), 70_000) }]))])]);
  messages.push(['OLE (decoded whole)', message([binary('a.doc', Buffer.concat([oleFile(['WordDocument']), random(100_000, 16)]))])]);
  const broken = base64Body(withMarker(random(200_000, 17), 99_000));
  messages.push(['two-segment signature: both segments', message([binary('star.bin', withMarker(withMarker(random(200_000, 19), 60_000, Buffer.from('STAR-ONE')), 150_000, Buffer.from('STAR-TWO')))])]);
  messages.push(['two-segment signature: the anchor only', message([binary('star.bin', withMarker(random(200_000, 20), 60_000, Buffer.from('STAR-ONE')))])]);
  messages.push(['broken base64 with a marker', message([{ name: 'b.bin', encoding: 'base64', body: `${broken.slice(0, 70_000)}!!${broken.slice(70_000, 140_000)}=${broken.slice(140_000)}` }])]);
  messages.push(['truncated base64', message([{ name: 't.bin', encoding: 'base64', body: base64Body(withMarker(random(200_000, 18), 150_000)).slice(0, 250_001) }])]);
  return messages;
}

interface Run {
  inspection: Awaited<ReturnType<typeof inspectMessage>>;
  streamed: Map<string, StreamedPart>;
  decodedWhole: string[];
}

async function run(bytes: Buffer, inspector: FileInspector, threshold: number, rules: Rule[] = [], analysis?: Parameters<typeof inspectMessage>[4]): Promise<Run> {
  const shape = shapeOf(bytes, CONTEXT);
  const decodedWhole: string[] = [];
  for (const part of shape.walk.parts) {
    const decode = part.decode.bind(part);
    part.decode = () => (decodedWhole.push(part.path), decode());
  }
  const streamed = new Map<string, StreamedPart>();
  const inspection = await inspectMessage(shape, CONTEXT, inspector, rules, analysis, { streamPartBytes: threshold, onStreamed: (path, part) => streamed.set(path, part) });
  return { inspection, streamed, decodedWhole };
}

describe('a part scanned as it is decoded gives the report decoding it whole gives', () => {
  let dir: string;
  let engine: BuiltinEngine;
  let inspector: FileInspector;
  before(async () => {
    dir = signatureDir({ 'stream.ndb': NDB, 'stream.hdb': HDB, 'stream.hsb': HSB });
    engine = await createBuiltinEngine({ signatureDirs: [dir] });
    inspector = { engines: [engine], archiveLimits: defaultArchiveLimits, facts: engine.facts, factsFromHead: engine.factsFromHead };
  });
  after(() => removeDir(dir));

  async function agrees(name: string, bytes: Buffer, rules: Rule[] = [], analysis?: Parameters<typeof inspectMessage>[4]): Promise<Run> {
    const whole = await run(bytes, inspector, Infinity, rules, analysis);
    const streamed = await run(bytes, inspector, 0, rules, analysis);
    assert.equal(whole.streamed.size, 0);
    assert.deepEqual(streamed.inspection, whole.inspection, name);
    for (const [path, part] of streamed.streamed) {
      assert.equal(streamed.decodedWhole.filter((decoded) => decoded === path).length, part.work.wholeDecodes, `${name}: part ${path} decoded whole`);
      assert.ok(part.work.largestSlice <= 128 * 1024, `${name}: part ${path} slice of ${part.work.largestSlice} bytes`);
      const report = streamed.inspection.parts.find((candidate) => candidate.path === path)!;
      if (report.scanned && !report.known?.stored) assert.equal(part.work.bytesToEngines, report.size, `${name}: part ${path} bytes to the engines`);
    }
    return streamed;
  }

  it('on the scan corpus', async () => {
    let streamedParts = 0;
    for (const entry of scanCorpus()) streamedParts += (await agrees(entry.name, entry.bytes)).streamed.size;
    assert.ok(streamedParts >= 2, `corpus parts streamed: ${streamedParts}`);
  });

  it('on signatures across slice boundaries, hash signatures, degenerate data, and every fallback', async () => {
    const found = new Set<string>();
    const fellBack: string[] = [];
    for (const [name, bytes] of edgeMessages()) {
      const result = await agrees(name, bytes);
      for (const finding of result.inspection.findings) found.add(finding.name);
      if (result.streamed.size === 0) fellBack.push(name);
    }
    // The cases are worth comparing only if the streamed path ran on them and the signatures fire.
    assert.deepEqual(fellBack.sort(), ['OLE (decoded whole)', 'PDF (decoded whole)', 'PE header pointing past the head', 'zip (decoded whole)']);
    for (const name of ['Test.Star', 'Test.EICAR.Body', 'Test.Marker', 'Test.Wild', 'Test.TextOnly', 'Test.PeOnly', 'Test.Degenerate', 'Test.Hashed.MD5', 'Test.AnySize.SHA256'].map((n) => `${n}.UNOFFICIAL`)) {
      assert.ok(found.has(name), `${name} found`);
    }
    for (const name of ['Heuristic.DoubleExtension', 'Heuristic.TypeMismatch', 'MIME.Malformed']) assert.ok(found.has(name), `${name} found`);
  });

  it('decodes a part whole after all only when the anchor of a signature that needs the whole file occurs', async () => {
    const wholeDecodes = async (data: Buffer) => {
      const { streamed, decodedWhole } = await run(message([binary('star.bin', data)]), inspector, 0);
      assert.equal(streamed.size, 1);
      return [streamed.get('1')!.work.wholeDecodes, decodedWhole.length];
    };
    assert.deepEqual(await wholeDecodes(randomBytesFromSeed(200_000, 30)), [0, 0]);
    assert.deepEqual(await wholeDecodes(withMarker(randomBytesFromSeed(200_000, 31), 70_000, Buffer.from('STAR-ONE'))), [1, 1]);
  });

  it('checks an anchor hit on every byte a bounded number of times, then evaluates over the window', async () => {
    const bytes = message([binary('as.bin', Buffer.concat([Buffer.alloc(300_000, 0x41), Buffer.from('C')]))]);
    const { streamed, inspection } = await run(bytes, inspector, 0);
    assert.equal(streamed.size, 1);
    assert.deepEqual(
      inspection.findings.map((finding) => finding.name),
      ['Test.Degenerate.UNOFFICIAL'],
    );
  });

  it('with a skip rule: the size is measured in a pass of its own, and a skipped part never reaches the engines', async () => {
    const rules = parseRules([{ id: 'r-skip1', name: 'skip big', level: 'attachment', conditions: [{ field: 'size', op: '>', value: 190_000 }], actions: ['skip-part-scan'] }], 'rules');
    const bytes = message([binary('big.bin', withMarker(randomBytesFromSeed(200_000, 20), 49_140)), binary('small.bin', withMarker(randomBytesFromSeed(150_000, 21), 98_300))]);
    const { streamed, inspection } = await agrees('skip rule', bytes, rules);
    assert.deepEqual(
      inspection.parts.map((part) => [part.fileName, part.scanned, part.findings.map((finding) => finding.name)]),
      [
        ['big.bin', false, []],
        ['small.bin', true, ['Test.Marker.UNOFFICIAL']],
      ],
    );
    assert.deepEqual([...streamed.values()].map((part) => [part.work.passes, part.work.bytesToEngines]), [
      [1, 0],
      [2, 150_000],
    ]);
  });

  it('with the verdict store: looked up by the streamed SHA-256, a stored bad verdict blocks as it does for a whole part', async () => {
    const bad = withMarker(randomBytesFromSeed(150_000, 22), 10, Buffer.from('no marker'));
    const records = new Map<string, VerdictRecord>([[sha256(bad), { verdict: 'malicious', backend: 'test', name: 'Stored.Bad' } as VerdictRecord]]);
    const verdicts = knownVerdicts(analysisSchema.parse({ block: 'malicious' }), (hash) => records.get(hash), true);
    const analysis = { verdicts, known: new Map<string, KnownPart>() };
    const bytes = message([binary('bad.bin', bad), binary('other.bin', randomBytesFromSeed(150_000, 23))]);
    const { inspection } = await agrees('stored verdict', bytes, [], analysis);
    assert.deepEqual(
      inspection.parts.map((part) => [part.known?.sha256, part.findings.map((finding) => finding.name)]),
      [
        [sha256(bad), ['Stored.Bad']],
        [sha256(randomBytesFromSeed(150_000, 23)), []],
      ],
    );
  });
});
