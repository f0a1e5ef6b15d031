// ICAP framing without sockets: the RESPMOD/OPTIONS encoders, and the response parser fed responses
// recorded from the real c-icap 0.5.10 + virus_scan + clamd (test/fixtures/icap/*.bin, captured with
// scripts/test-servers/c-icap.ts) at every chunking.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { IcapProtocolError } from '../../../../src/scan/analysis/icap/icap-errors.js';
import { parseOptionsResponse } from '../../../../src/scan/analysis/icap/icap-options.js';
import { encodeOptions, encodeRespmod, headerSafeName } from '../../../../src/scan/analysis/icap/icap-requests.js';
import { IcapResponseParser, parseEncapsulated, type IcapParserEvent, type IcapParserLimits } from '../../../../src/scan/analysis/icap/icap-response-parser.js';
import { parseIcapUrl } from '../../../../src/scan/analysis/icap/icap-url.js';
import { CONTENT_MODIFIED, threatNames, verdictOf } from '../../../../src/scan/analysis/icap/icap-verdict.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/icap');
const recorded = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const TARGET = parseIcapUrl('icap://127.0.0.1:1344/srv_clamav');
/** The body the recorded echo and 204 responses were made for. */
const CLEAN_TEXT = Buffer.from('hello world, just text\n'.repeat(10));
const ISTAG = 'CI0001-L5CkDhq+qWNs+PZ5DxxXsAAA';
const EICAR_NAME = 'Test.EICAR.Body.UNOFFICIAL';

function parseAll(pieces: Buffer[], limits?: IcapParserLimits): IcapParserEvent[] {
  const parser = new IcapResponseParser(limits);
  return pieces.flatMap((piece) => parser.push(piece));
}

/** Every split into two pieces, and byte by byte: all give the same events as one push. */
function assertSameAtEveryChunking(bytes: Buffer, limits?: IcapParserLimits): IcapParserEvent[] {
  const whole = parseAll([bytes], limits);
  for (let cut = 0; cut <= bytes.length; cut++) assert.deepEqual(parseAll([bytes.subarray(0, cut), bytes.subarray(cut)], limits), whole, `split at ${cut}`);
  assert.deepEqual(parseAll([...bytes].map((b) => Buffer.from([b])), limits), whole, 'byte by byte');
  return whole;
}

function finalResponse(events: IcapParserEvent[]) {
  const last = events.at(-1);
  assert.ok(last?.kind === 'response', 'a final response');
  return last.response;
}

/** De-chunks an encoded request's body section (for checking the encoder). */
function dechunk(bytes: Buffer): { body: Buffer; lastLine: string } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = bytes.indexOf('\r\n', at);
    const line = bytes.toString('latin1', at, eol);
    const size = parseInt(line, 16);
    at = eol + 2;
    if (size === 0) {
      assert.equal(bytes.toString('latin1', at), '\r\n', 'request ends after the last chunk');
      return { body: Buffer.concat(parts), lastLine: line };
    }
    parts.push(bytes.subarray(at, at + size));
    assert.equal(bytes.toString('latin1', at + size, at + size + 2), '\r\n');
    at += size + 2;
  }
}

function splitRequest(bytes: Buffer): { icapHead: string; encapsulated: Buffer } {
  const end = bytes.indexOf('\r\n\r\n');
  return { icapHead: bytes.toString('latin1', 0, end), encapsulated: bytes.subarray(end + 4) };
}

describe('ICAP URL', () => {
  it('takes host, default port 1344 and the service', () => {
    assert.deepEqual(parseIcapUrl('icap://av.example:1345/avscan?mode=simple'), {
      host: 'av.example',
      port: 1345,
      hostHeader: 'av.example:1345',
      uri: 'icap://av.example:1345/avscan?mode=simple',
    });
    assert.equal(parseIcapUrl('icap://127.0.0.1/srv_clamav').port, 1344);
  });
  it('refuses other schemes and a missing service with a message saying what to write', () => {
    assert.throws(() => parseIcapUrl('http://127.0.0.1/x'), /scheme must be icap/);
    assert.throws(() => parseIcapUrl('icap://127.0.0.1:1344/'), /without a service/);
  });
});

describe('ICAP request encoding', () => {
  const content = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));

  it('OPTIONS is a head with a null body', () => {
    assert.equal(encodeOptions(TARGET).toString('latin1'), 'OPTIONS icap://127.0.0.1:1344/srv_clamav ICAP/1.0\r\nHost: 127.0.0.1:1344\r\nEncapsulated: null-body=0\r\n\r\n');
  });

  it('RESPMOD without preview: Allow: 204, Encapsulated offsets that point at the HTTP heads, the whole body chunked', () => {
    const request = encodeRespmod({ target: TARGET, content, name: 'report.pdf', chunkBytes: 128 });
    assert.equal(request.afterContinue.length, 0);
    const { icapHead, encapsulated } = splitRequest(Buffer.concat(request.initial));
    const lines = icapHead.split('\r\n');
    assert.equal(lines[0], 'RESPMOD icap://127.0.0.1:1344/srv_clamav ICAP/1.0');
    assert.ok(lines.includes('Allow: 204'));
    assert.ok(!lines.some((l) => l.startsWith('Preview:')));
    const encapsulatedLine = lines.find((l) => l.startsWith('Encapsulated: '));
    assert.ok(encapsulatedLine);
    const offsets = Object.fromEntries(encapsulatedLine.slice(14).split(', ').map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));
    assert.equal(offsets['req-hdr'], 0);
    assert.match(encapsulated.toString('latin1', offsets['req-hdr'], offsets['res-hdr']), /^GET \/report\.pdf HTTP\/1\.1\r\n.*\r\n\r\n$/s);
    const resHdr = encapsulated.toString('latin1', offsets['res-hdr'], offsets['res-body']);
    assert.match(resHdr, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(resHdr, /\r\nContent-Length: 300\r\n/);
    assert.match(resHdr, /\r\nContent-Disposition: attachment; filename="report\.pdf"\r\n\r\n$/);
    const { body, lastLine } = dechunk(encapsulated.subarray(offsets['res-body']));
    assert.deepEqual(body, content);
    assert.equal(lastLine, '0');
  });

  it('RESPMOD with a preview shorter than the part: the preview ends with a plain 0 chunk, the rest waits for 100 Continue', () => {
    const request = encodeRespmod({ target: TARGET, content, name: 'a.bin', previewBytes: 100, chunkBytes: 64 });
    assert.equal(request.previewIsWhole, false);
    const { icapHead, encapsulated } = splitRequest(Buffer.concat(request.initial));
    assert.ok(icapHead.split('\r\n').includes('Preview: 100'));
    const bodyStart = encapsulated.indexOf('\r\n\r\n', encapsulated.indexOf('HTTP/1.1 200')) + 4;
    const preview = dechunk(encapsulated.subarray(bodyStart));
    assert.deepEqual(preview.body, content.subarray(0, 100));
    assert.equal(preview.lastLine, '0');
    assert.deepEqual(dechunk(Buffer.concat(request.afterContinue)).body, content.subarray(100));
  });

  it('RESPMOD whose preview holds the whole part ends it with "0; ieof" and sends nothing after', () => {
    for (const previewBytes of [300, 1024]) {
      const request = encodeRespmod({ target: TARGET, content, name: 'a.bin', previewBytes });
      assert.equal(request.previewIsWhole, true);
      assert.equal(request.afterContinue.length, 0);
      const bytes = Buffer.concat(request.initial);
      assert.ok(splitRequest(bytes).icapHead.split('\r\n').includes('Preview: 300'), 'Preview never exceeds the part');
      assert.ok(bytes.toString('latin1').endsWith('\r\n0; ieof\r\n\r\n'));
    }
    const empty = encodeRespmod({ target: TARGET, content: Buffer.alloc(0), name: 'empty', previewBytes: 1024 });
    assert.ok(Buffer.concat(empty.initial).toString('latin1').endsWith('Content-Length: 0\r\nContent-Disposition: attachment; filename="empty"\r\n\r\n0; ieof\r\n\r\n'));
  });

  it('a part name cannot inject header lines', () => {
    assert.equal(headerSafeName('evil"\r\nX-Injected: 1.exe'), 'evil___X-Injected: 1.exe');
    assert.equal(headerSafeName(''), 'attachment');
    const head = Buffer.concat(encodeRespmod({ target: TARGET, content, name: 'a\r\nb\\"c' }).initial).toString('latin1');
    assert.ok(!head.includes('a\r\nb'));
  });
});

describe('ICAP response parsing (recorded from c-icap + clamd)', () => {
  it('204: clean, with the ISTag, at every chunking', () => {
    const response = finalResponse(assertSameAtEveryChunking(recorded('respmod-204.bin')));
    assert.equal(response.status, 204);
    assert.equal(response.bodyBytes, undefined);
    assert.deepEqual(verdictOf(response), { verdict: 'clean', istag: ISTAG });
  });

  it('200 naming EICAR: malicious with the name from X-Infection-Found and X-Violations-Found, at every chunking', () => {
    const events = assertSameAtEveryChunking(recorded('respmod-eicar-200.bin'));
    assert.equal(events.length, 1);
    const response = finalResponse(events);
    assert.equal(response.status, 200);
    assert.equal(response.httpStatus, 403);
    assert.ok((response.bodyBytes ?? 0) > 0);
    assert.deepEqual(threatNames(response.headers), [EICAR_NAME]);
    assert.deepEqual(verdictOf(response), { verdict: 'malicious', name: EICAR_NAME, istag: ISTAG });
  });

  it('100 Continue after a preview, then the final answer: two events in order, at every chunking', () => {
    const events = assertSameAtEveryChunking(recorded('respmod-eicar-continue.bin'));
    assert.deepEqual(events.map((e) => e.kind), ['continue', 'response']);
    assert.equal(verdictOf(finalResponse(events)).verdict, 'malicious');
  });

  it('200 that echoes the part unchanged (no Allow: 204) is clean; the same answer for other content is "changed"', () => {
    const bytes = recorded('respmod-echo-200.bin');
    const echoed = finalResponse(assertSameAtEveryChunking(bytes, { expectBody: CLEAN_TEXT }));
    assert.equal(echoed.bodyMatchesExpected, true);
    assert.deepEqual(verdictOf(echoed), { verdict: 'clean', istag: ISTAG });
    const other = Buffer.from(CLEAN_TEXT);
    other[100] ^= 1;
    const changed = finalResponse(parseAll([bytes], { expectBody: other }));
    assert.equal(changed.bodyMatchesExpected, false);
    assert.deepEqual(verdictOf(changed), { verdict: 'suspicious', name: CONTENT_MODIFIED, istag: ISTAG });
    const longer = finalResponse(parseAll([bytes], { expectBody: Buffer.concat([CLEAN_TEXT, Buffer.from('x')]) }));
    assert.equal(longer.bodyMatchesExpected, false);
  });

  it('404 for an unknown service: an error verdict naming the status', () => {
    const response = finalResponse(assertSameAtEveryChunking(recorded('respmod-404.bin')));
    assert.deepEqual(verdictOf(response), { verdict: 'error', error: 'ICAP server answered 404 Service not found' });
  });

  it('OPTIONS: methods, preview, transfer-preview, TTL, ISTag, Allow: 204', () => {
    const response = finalResponse(assertSameAtEveryChunking(recorded('options.bin')));
    const options = parseOptionsResponse(response);
    assert.deepEqual(options, {
      methods: ['RESPMOD', 'REQMOD'],
      istag: ISTAG,
      service: 'C-ICAP/0.5.10 server - Antivirus service',
      preview: 1024,
      transferPreview: ['*'],
      maxConnections: undefined,
      ttlSeconds: 3600,
      allow204: true,
    });
  });

  it('bytes after the final response are ignored', () => {
    const parser = new IcapResponseParser();
    const events = parser.push(Buffer.concat([recorded('respmod-204.bin'), Buffer.from('ICAP/1.0 500 junk\r\n\r\n')]));
    assert.equal(events.length, 1);
    assert.ok(parser.done);
  });
});

describe('ICAP response errors and limits', () => {
  const parse = (text: string, limits?: IcapParserLimits) => parseAll([Buffer.from(text, 'latin1')], limits);

  it('a status line that is not ICAP', () => {
    assert.throws(() => parse('HTTP/1.1 200 OK\r\n\r\n'), IcapProtocolError);
    assert.throws(() => parse('ICAP/1.0 2000 OK\r\n\r\n'), /not an ICAP status line/);
  });

  it('a head over the limit fails before its end arrives', () => {
    const parser = new IcapResponseParser({ maxHeadBytes: 100 });
    parser.push(Buffer.from('ICAP/1.0 204 No Content\r\n'));
    assert.throws(() => parser.push(Buffer.from(`X-Filler: ${'a'.repeat(200)}`)), /response head exceeds 100 bytes/);
  });

  it('encapsulated HTTP heads over the limit', () => {
    assert.throws(() => parse('ICAP/1.0 200 OK\r\nEncapsulated: res-hdr=0, res-body=5000\r\n\r\n', { maxHeadBytes: 1000 }), /encapsulated HTTP heads exceed/);
  });

  it('a body over the cap', () => {
    const text = `ICAP/1.0 200 OK\r\nEncapsulated: res-hdr=0, res-body=19\r\n\r\nHTTP/1.1 200 OK\r\n\r\n${'10\r\n0123456789abcdef\r\n'.repeat(3)}0\r\n\r\n`;
    assert.equal(finalResponse(parse(text, { maxBodyBytes: 48 })).bodyBytes, 48);
    assert.throws(() => parse(text, { maxBodyBytes: 47 }), /body exceeds 47 bytes/);
  });

  it('malformed chunking: a bad size line, a chunk longer than its size, an endless size line', () => {
    const head = 'ICAP/1.0 200 OK\r\nEncapsulated: res-hdr=0, res-body=19\r\n\r\nHTTP/1.1 200 OK\r\n\r\n';
    assert.throws(() => parse(`${head}zz\r\n`), /malformed chunk-size line/);
    assert.throws(() => parse(`${head}2\r\nabc\r\n`), /longer than its chunk-size/);
    assert.throws(() => parse(`${head}${'1'.repeat(2000)}`), /chunk-size line exceeds/);
    assert.equal(finalResponse(parse(`${head}3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n`)).bodyBytes, 3);
  });

  it('Encapsulated values out of RFC 3507 §4.4.1 shape', () => {
    assert.throws(() => parseEncapsulated('res-hdr=0'), /does not end with a body/);
    assert.throws(() => parseEncapsulated('res-body=0, res-hdr=10'), /does not end with a body|body before its end/);
    assert.throws(() => parseEncapsulated('res-hdr=50, res-body=10'), /out of order/);
    assert.throws(() => parseEncapsulated('res-hdr=x'), /malformed/);
    assert.deepEqual(parseEncapsulated('req-hdr=0, res-hdr=20, res-body=50'), { headBytes: 50, resHdr: { start: 20, end: 50 }, hasBody: true });
    assert.deepEqual(parseEncapsulated('null-body=0'), { headBytes: 0, resHdr: undefined, hasBody: false });
  });

  it('a null-body response after HTTP heads ends without a body', () => {
    const response = finalResponse(parse('ICAP/1.0 200 OK\r\nEncapsulated: res-hdr=0, null-body=19\r\n\r\nHTTP/1.1 403 No\r\n\r\n'));
    assert.equal(response.httpStatus, 403);
    assert.equal(response.bodyBytes, undefined);
    assert.deepEqual(verdictOf(response), { verdict: 'suspicious', name: CONTENT_MODIFIED });
  });

  it('X-Virus-ID and several violations give every name once', () => {
    const response = finalResponse(
      parse('ICAP/1.0 200 OK\r\nX-Virus-ID: Win.Test\r\nX-Violations-Found: 2\r\n\tf1\r\n\tWin.Test\r\n\t1\r\n\t0\r\n\tf2\r\n\tMacro.X\r\n\t2\r\n\t0\r\n\r\n'),
    );
    assert.deepEqual(threatNames(response.headers), ['Win.Test', 'Macro.X']);
    assert.equal(verdictOf(response).name, 'Win.Test, Macro.X');
  });
});
