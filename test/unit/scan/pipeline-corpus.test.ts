import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { defaultArchiveLimits } from '../../../src/scan/archive/index.js';
import { createScanSetup, type ScanSetup } from '../../../src/scan/create-pipeline.js';
import type { ScanReport } from '../../../src/scan/pipeline.js';
import { base64Lines, randomBytesFromSeed } from '../../helpers/messages.js';
import { countingInflate, inflateBound } from './archive/inspect-helper.js';
import { EICAR, nestZips, writeGzip, writeRecursiveBomb, writeTar } from './archive/archive-builders.js';
import { writeOverlappingZip, writeZip } from './archive/zip-writer.js';
import { minimalPe, ooxmlFile, pdfFile } from './engines/samples.js';

const CRLF = '\r\n';
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytesFromSeed(2000, 4)]);

function message(parts: { name?: string; type?: string; encoding: string; body: string }[], extraHeaders = ''): Buffer {
  let text = `From: a@example.org${CRLF}To: b@example.org${CRLF}Subject: corpus${CRLF}Message-ID: <c@x>${CRLF}MIME-Version: 1.0${CRLF}${extraHeaders}Content-Type: multipart/mixed; boundary="B"${CRLF}${CRLF}`;
  text += `--B${CRLF}Content-Type: text/plain${CRLF}${CRLF}Hello, see the attachment.${CRLF}`;
  for (const part of parts) {
    text += `--B${CRLF}Content-Type: ${part.type ?? 'application/octet-stream'}${part.name ? `; name="${part.name}"` : ''}${CRLF}`;
    if (part.name) text += `Content-Disposition: attachment; filename="${part.name}"${CRLF}`;
    text += `Content-Transfer-Encoding: ${part.encoding}${CRLF}${CRLF}${part.body}${part.body.endsWith(CRLF) ? '' : CRLF}`;
  }
  return Buffer.from(`${text}--B--${CRLF}`, 'utf8');
}

const attach = (name: string, data: Buffer, type?: string) => message([{ name, type, encoding: 'base64', body: base64Lines(data) }]);

function uuencode(name: string, data: Buffer): string {
  const lines = [`begin 644 ${name}`];
  for (let offset = 0; offset < data.length; offset += 45) {
    const chunk = data.subarray(offset, offset + 45);
    let line = String.fromCharCode(32 + chunk.length);
    for (let i = 0; i < chunk.length; i += 3) {
      const [a, b = 0, c = 0] = chunk.subarray(i, i + 3);
      for (const value of [a >> 2, ((a & 3) << 4) | (b >> 4), ((b & 15) << 2) | (c >> 6), c & 63]) line += String.fromCharCode(value === 0 ? 96 : 32 + value);
    }
    lines.push(line);
  }
  return [...lines, '`', 'end', ''].join(CRLF);
}

describe('scan pipeline over a generated corpus (builtin engine)', () => {
  let setup: ScanSetup;
  let dataDir: string;
  const scan = (bytes: Buffer): Promise<ScanReport> => setup.pipeline.evaluate(bytes, { protocol: 'imap', section: 'BODY[]' }, false);

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-corpus-'));
    setup = await createScanSetup(configSchema.parse({}), dataDir);
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  const infected: [string, Buffer][] = [
    ['EICAR in base64', attach('eicar.com', EICAR)],
    ['EICAR in quoted-printable (split by a soft line break)', message([{ name: 'eicar.txt', encoding: 'quoted-printable', body: `${EICAR.toString('latin1').slice(0, 30)}=${CRLF}${EICAR.toString('latin1').slice(30)}` }])],
    ['EICAR uuencoded in a text body', message([{ type: 'text/plain', encoding: '7bit', body: `see below${CRLF}${uuencode('eicar.com', EICAR)}` }])],
    ['EICAR as an 8bit part', message([{ name: 'eicar.com', encoding: '8bit', body: EICAR.toString('latin1') }])],
    ['EICAR in a zip', attach('a.zip', writeZip([{ name: 'eicar.com', data: EICAR }]))],
    ['EICAR in a zip nested three deep', attach('deep.zip', nestZips(EICAR, 'eicar.com', 3))],
    ['EICAR gzipped', attach('eicar.com.gz', writeGzip(EICAR))],
  ];
  for (const [label, bytes] of infected) {
    it(`${label}: infected, the part stripped`, async () => {
      const outcome = await scan(bytes);
      assert.equal(outcome.inspection.verdict, 'infected');
      assert.ok(outcome.inspection.findings.some((finding) => finding.name === 'Eicar-Test-Signature'), JSON.stringify(outcome.inspection.findings));
      assert.ok(outcome.rewritten && !outcome.rewritten.bytes.toString('latin1').includes('EICAR-STANDARD'));
      assert.equal(outcome.decision.action, 'strip');
    });
  }

  it('EICAR in a tar.gz: infected', async () => {
    const outcome = await scan(attach('eicar.tar.gz', writeGzip(await writeTar([{ name: 'x/eicar.com', data: EICAR }]))));
    assert.equal(outcome.inspection.verdict, 'infected');
    assert.deepEqual(outcome.inspection.findings.find((finding) => finding.name === 'Eicar-Test-Signature')?.location, ['eicar.tar.gz', 'eicar.tar', 'x/eicar.com']);
  });

  it('an encrypted zip: verdict encrypted, delivered unchanged; the header and the default rules\' warning are in the event only', async () => {
    const outcome = await scan(attach('secret.zip', writeZip([{ name: 'a.txt', data: Buffer.from('hello'), encrypted: true }])));
    assert.equal(outcome.inspection.verdict, 'encrypted');
    assert.deepEqual(outcome.decision, { action: 'deliver', mark: true, keepCopy: false, changes: { headers: [{ name: 'X-InboxGuard-Warning', value: 'not fully checked' }], subjectTags: [] } });
    assert.deepEqual(
      outcome.rules.map((rule) => [rule.id, rule.part]),
      [['r-default-4', 'secret.zip'], ['r-default-5', undefined]],
    );
    assert.equal(outcome.rewritten, undefined, 'a marking header would make the message longer than the size the client knows');
    assert.deepEqual(outcome.decorationDropped?.dropped, ['header X-InboxGuard-Warning', 'header X-InboxGuard']);
  });

  it('bombs: overlapping entries and a 42.zip-style nest give archive-limit and are stripped, after bounded inflating', async () => {
    for (const bomb of [writeOverlappingZip(2000, 1024 * 1024), writeRecursiveBomb(5, 16, 4 * 1024 * 1024)]) {
      const { result: outcome, inflatedBytes, inflateCalls } = await countingInflate(() => scan(attach('bomb.zip', bomb)));
      assert.equal(outcome.inspection.verdict, 'archive-limit');
      assert.equal(outcome.decision.action, 'strip');
      assert.ok(inflatedBytes <= inflateBound(defaultArchiveLimits, inflateCalls), `${inflatedBytes} bytes inflated in ${inflateCalls} inflates`);
    }
  });

  it('file-type facts and heuristics: docm macros, PE named .pdf.exe, a bidi name', async () => {
    const docm = await scan(attach('report.docm', ooxmlFile(true), 'application/vnd.ms-word.document.macroEnabled.12'));
    const part = docm.inspection.parts.find((candidate) => candidate.fileName === 'report.docm');
    assert.equal(part?.facts?.detectedType, 'ooxml');
    assert.equal(part?.facts?.hasMacros, true);
    const doubled = await scan(attach('invoice.pdf.exe', minimalPe(), 'application/pdf'));
    assert.equal(doubled.inspection.verdict, 'suspicious');
    assert.ok(doubled.inspection.findings.some((finding) => finding.name === 'Heuristic.DoubleExtension'));
    assert.ok(doubled.inspection.findings.some((finding) => finding.name === 'Heuristic.TypeMismatch'));
    const bidi = await scan(attach('invoice\u202Efdp.exe', minimalPe()));
    assert.ok(bidi.inspection.findings.some((finding) => finding.name === 'Heuristic.BidiFileName'));
  });

  it('clean OOXML, PDF and PNG attachments come back as the same bytes', async () => {
    for (const bytes of [attach('a.docx', ooxmlFile(false)), attach('a.pdf', pdfFile('plain text only'), 'application/pdf'), attach('a.png', PNG, 'image/png')]) {
      const outcome = await scan(bytes);
      assert.equal(outcome.inspection.verdict, 'clean', JSON.stringify(outcome.inspection.findings));
      assert.equal(outcome.rewritten, undefined);
    }
  });

  it('malformed MIME never crashes or hangs: verdict malformed, delivered with a header', async () => {
    const deep = Buffer.from(`Subject: deep${CRLF}${'Content-Type: multipart/mixed; boundary="d"\r\n\r\n--d\r\n'.repeat(10_000)}x${CRLF}`, 'latin1');
    const manyHeaders = Buffer.from(`${'X-Filler: y\r\n'.repeat(100_000)}Subject: many${CRLF}${CRLF}body${CRLF}`, 'latin1');
    const cases = [
      attach('a.bin', randomBytesFromSeed(500, 1)).subarray(0, -8),
      message([{ name: 'bad.bin', encoding: 'base64', body: '!!!! not base64 at all ****' }]),
      deep,
      manyHeaders,
      Buffer.from(`Subject: nul\0bytes\r\nContent-Type: text/plain\r\n\r\nbody\0with\0nul\r\n`, 'latin1'),
    ];
    for (const bytes of cases) {
      const outcome = await scan(bytes);
      assert.equal(outcome.inspection.verdict, 'malformed');
      assert.equal(outcome.decision.action, 'deliver');
    }
  });
});
