// A small corpus of whole messages for tests that run the real scan pipeline: clean, infected, archive
// bombs, malformed MIME and the byte-level shapes a relay must carry through untouched (8-bit bytes,
// lines starting with ".", bare LF). Built from the existing message and archive builders.
import { base64Lines, bigMessage, dotLines, plainText, randomBytesFromSeed, utf8Message, withAttachments } from './messages.js';
import { EICAR, nestZips } from '../unit/scan/archive/archive-builders.js';
import { writeZip } from '../unit/scan/archive/zip-writer.js';

export interface CorpusMessage {
  name: string;
  bytes: Buffer;
  /** Small enough to feed one byte at a time in a test. */
  small: boolean;
}

const CRLF = '\r\n';
const HEAD = ['From: Sender <sender@example.org>', 'To: Alice <alice@example.com>', 'Date: Mon, 7 Dec 2026 06:00:00 +0000', 'MIME-Version: 1.0'];

function text(lines: string[], eol = CRLF): Buffer {
  return Buffer.from(lines.join(eol), 'utf8');
}

function attachment(filename: string, content: Buffer, seed: number): Buffer {
  return withAttachments({ seed, subject: `corpus ${filename}`, attachments: [{ filename, contentType: 'application/octet-stream', content }] });
}

/** EICAR as the whole body of a single-part message: the notice replaces everything to the end, its padding included. */
function eicarSinglePart(): Buffer {
  return text(['Subject: e', 'Content-Type: application/octet-stream', '', EICAR.toString('latin1'), '']);
}

function truncatedBase64(): Buffer {
  const encoded = base64Lines(randomBytesFromSeed(2000, 31));
  return text([...HEAD, 'Subject: truncated base64', 'Content-Type: application/octet-stream; name="cut.bin"', 'Content-Transfer-Encoding: base64', '', encoded.slice(0, 1000 + 37)]);
}

function brokenBoundaries(): Buffer {
  return text([
    ...HEAD,
    'Subject: broken boundaries',
    'Content-Type: multipart/mixed; boundary="expected"',
    '',
    '--wrong',
    'Content-Type: text/plain',
    '',
    'the boundary of this part is not the one the header names',
    '--expected',
    'Content-Type: multipart/alternative; boundary="inner"',
    '',
    '--inner',
    '',
    'an inner part whose closing boundary never comes',
    '--expected',
    'Content-Type: application/octet-stream',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(randomBytesFromSeed(600, 32)).trimEnd(),
    '',
  ]);
}

function eightBit(): Buffer {
  const high = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte).filter((byte) => byte >= 0x80));
  return Buffer.concat([text([...HEAD, 'Subject: 8-bit body', 'Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: 8bit', '', 'latin-1: ']), high, Buffer.from(`${CRLF}Gr\xfc\xdfe${CRLF}`, 'latin1')]);
}

function bareLf(): Buffer {
  return text([...HEAD, 'Subject: bare LF line endings', 'Content-Type: text/plain', '', 'first line', '.a line starting with a dot', '.', 'last line', ''], '\n');
}

function eicarBareLf(): Buffer {
  return text([...HEAD, 'Subject: EICAR with bare LF', 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'see attachment', '--b', 'Content-Type: application/octet-stream; name="e.com"', 'Content-Transfer-Encoding: base64', '', base64Lines(EICAR).trimEnd(), '--b--', ''], '\n');
}

/** The corpus, in a fixed order. */
export function scanCorpus(): CorpusMessage[] {
  return [
    { name: 'clean text', bytes: plainText({ seed: 41, lines: 20 }), small: true },
    { name: 'clean base64 attachment', bytes: withAttachments({ seed: 42 }), small: false },
    { name: 'EICAR plain (base64 attachment)', bytes: attachment('eicar.com', EICAR, 43), small: true },
    { name: 'EICAR as the body of a tiny single-part message', bytes: eicarSinglePart(), small: true },
    { name: 'clean 600 KiB base64 attachment', bytes: bigMessage(600 * 1024, { seed: 49 }), small: false },
    {
      name: 'EICAR next to a 400 KiB attachment',
      bytes: withAttachments({
        seed: 50,
        attachments: [
          { filename: 'big.bin', contentType: 'application/octet-stream', content: randomBytesFromSeed(400 * 1024, 50) },
          { filename: 'eicar.com', contentType: 'application/octet-stream', content: EICAR },
        ],
      }),
      small: false,
    },
    { name: 'EICAR in a zip', bytes: attachment('eicar.zip', writeZip([{ name: 'eicar.com', data: EICAR }]), 44), small: true },
    { name: 'EICAR in a nested zip', bytes: attachment('nested.zip', nestZips(EICAR, 'eicar.com', 3), 45), small: false },
    { name: 'over-ratio zip (bomb)', bytes: attachment('bomb.zip', writeZip([{ name: 'zeros.bin', data: Buffer.alloc(4 * 1024 * 1024) }]), 46), small: false },
    { name: 'truncated base64', bytes: truncatedBase64(), small: false },
    { name: 'broken multipart boundaries', bytes: brokenBoundaries(), small: false },
    { name: '8-bit body', bytes: eightBit(), small: true },
    { name: 'UTF-8 body', bytes: utf8Message({ seed: 47 }), small: true },
    { name: 'lines starting with "."', bytes: dotLines({ seed: 48 }), small: true },
    { name: 'bare LF line endings', bytes: bareLf(), small: true },
    { name: 'EICAR with bare LF line endings', bytes: eicarBareLf(), small: true },
  ];
}

export const EICAR_SIGNATURE = EICAR;
