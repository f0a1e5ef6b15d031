// Deterministic test messages, CRLF line endings throughout, lines well under 998 bytes.
// Same arguments, same bytes: no clocks, no Math.random (a seeded mulberry32 PRNG instead).

const CRLF = '\r\n';
const FIXED_DATE = 'Mon, 01 Jan 2024 12:00:00 +0000';

/** mulberry32: tiny, fast, good enough for filler content. Returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n pseudo-random bytes from seed. */
export function randomBytesFromSeed(n: number, seed: number): Buffer {
  const next = prng(seed);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
  return out;
}

const WORDS = (
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore ' +
  'et dolore magna aliqua mail proxy scan inbox message attachment header body quarantine notice'
).split(' ');

/** Pseudo-random words wrapped into lines of at most width characters. */
export function loremLines(lineCount: number, seed: number, width = 72): string[] {
  const next = prng(seed);
  const lines: string[] = [];
  for (let i = 0; i < lineCount; i++) {
    let line = '';
    for (;;) {
      const word = WORDS[Math.floor(next() * WORDS.length)];
      if (line.length + word.length + 1 > width) break;
      line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  return lines;
}

/** RFC 2047 B-encoded word for UTF-8 text (one word; keep the text short). */
export function encodeWord(text: string): string {
  return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/** Base64 in 76-character lines, each followed by CRLF. */
export function base64Lines(data: Buffer): string {
  const b64 = data.toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += b64.slice(i, i + 76) + CRLF;
  return out;
}

export interface HeaderOptions {
  seed?: number;
  subject?: string;
  from?: string;
  to?: string;
  extra?: string[];
}

function headers(o: HeaderOptions, contentHeaders: string[]): string {
  const seed = o.seed ?? 1;
  return [
    `From: ${o.from ?? 'Sender <sender@example.org>'}`,
    `To: ${o.to ?? 'Alice <alice@example.com>'}`,
    `Subject: ${o.subject ?? `Test message ${seed}`}`,
    `Date: ${FIXED_DATE}`,
    `Message-ID: <test-${seed}@inboxguard.test>`,
    'MIME-Version: 1.0',
    ...(o.extra ?? []),
    ...contentHeaders,
  ]
    .map((h) => h + CRLF)
    .join('');
}

function toBuffer(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** Single-part text/plain, 7bit. */
export function plainText(o: HeaderOptions & { lines?: number } = {}): Buffer {
  const body = loremLines(o.lines ?? 8, o.seed ?? 1).join(CRLF) + CRLF;
  return toBuffer(headers(o, ['Content-Type: text/plain; charset=us-ascii', 'Content-Transfer-Encoding: 7bit']) + CRLF + body);
}

export interface Attachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** multipart/mixed: a text part plus base64 attachments (default: one pseudo-random binary). */
export function withAttachments(o: HeaderOptions & { attachments?: Attachment[]; text?: string } = {}): Buffer {
  const seed = o.seed ?? 1;
  const boundary = `mixed-${seed}-boundary`;
  const attachments = o.attachments ?? [
    { filename: `data-${seed}.bin`, contentType: 'application/octet-stream', content: randomBytesFromSeed(3000, seed) },
  ];
  let body = 'This is a multi-part message in MIME format.' + CRLF;
  body += `--${boundary}${CRLF}Content-Type: text/plain; charset=us-ascii${CRLF}Content-Transfer-Encoding: 7bit${CRLF}${CRLF}`;
  body += (o.text ?? loremLines(4, seed).join(CRLF)) + CRLF;
  for (const a of attachments) {
    body += `--${boundary}${CRLF}`;
    body += `Content-Type: ${a.contentType}; name="${a.filename}"${CRLF}`;
    body += `Content-Disposition: attachment; filename="${a.filename}"${CRLF}`;
    body += `Content-Transfer-Encoding: base64${CRLF}${CRLF}`;
    body += base64Lines(a.content);
  }
  body += `--${boundary}--${CRLF}`;
  return toBuffer(headers(o, [`Content-Type: multipart/mixed; boundary="${boundary}"`]) + CRLF + body);
}

/** multipart/mixed containing multipart/alternative (text + html) and one attachment. */
export function nestedAlternative(o: HeaderOptions = {}): Buffer {
  const seed = o.seed ?? 1;
  const outer = `outer-${seed}-boundary`;
  const inner = `inner-${seed}-boundary`;
  const text = loremLines(3, seed);
  let body = `--${outer}${CRLF}Content-Type: multipart/alternative; boundary="${inner}"${CRLF}${CRLF}`;
  body += `--${inner}${CRLF}Content-Type: text/plain; charset=us-ascii${CRLF}${CRLF}${text.join(CRLF)}${CRLF}`;
  body += `--${inner}${CRLF}Content-Type: text/html; charset=us-ascii${CRLF}${CRLF}`;
  body += `<html><body>${CRLF}${text.map((l) => `<p>${l}</p>`).join(CRLF)}${CRLF}</body></html>${CRLF}`;
  body += `--${inner}--${CRLF}`;
  body += `--${outer}${CRLF}Content-Type: application/pdf; name="doc-${seed}.pdf"${CRLF}`;
  body += `Content-Disposition: attachment; filename="doc-${seed}.pdf"${CRLF}Content-Transfer-Encoding: base64${CRLF}${CRLF}`;
  body += base64Lines(Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytesFromSeed(1200, seed + 1)]));
  body += `--${outer}--${CRLF}`;
  return toBuffer(headers(o, [`Content-Type: multipart/mixed; boundary="${outer}"`]) + CRLF + body);
}

/** 8-bit UTF-8 body with RFC 2047 encoded UTF-8 Subject and From display name. */
export function utf8Message(o: HeaderOptions = {}): Buffer {
  const seed = o.seed ?? 1;
  const body = ['Grüße aus Köln! Ünïcödé tëxt, 日本語のテキスト, ελληνικά, emoji 📬.', ...loremLines(3, seed), 'Ende — fin.'];
  return toBuffer(
    headers(
      {
        ...o,
        subject: o.subject ?? encodeWord(`Grüße ${seed} — résumé 📎`),
        from: o.from ?? `${encodeWord('Jörg Müller')} <joerg@example.de>`,
      },
      ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'],
    ) +
      CRLF +
      body.join(CRLF) +
      CRLF,
  );
}

/** Lines starting with '.', including a lone '.' and '..': what POP3 dot-stuffing must survive. */
export function dotLines(o: HeaderOptions = {}): Buffer {
  const body = [
    'The next line is a single dot and must not end the POP3 response.',
    '.',
    '..',
    '...three',
    '.leading dot',
    ' .space before the dot',
    '.',
    'last line',
  ];
  return toBuffer(
    headers(o, ['Content-Type: text/plain; charset=us-ascii', 'Content-Transfer-Encoding: 7bit']) + CRLF + body.join(CRLF) + CRLF,
  );
}

/**
 * Exactly sizeBytes long. 'base64' (default): one application/octet-stream attachment of
 * pseudo-random data; 'text': text/plain lorem lines. A padding header absorbs the remainder
 * so the body stays valid base64.
 */
export function bigMessage(sizeBytes: number, o: HeaderOptions & { kind?: 'base64' | 'text' } = {}): Buffer {
  const seed = o.seed ?? 1;
  const kind = o.kind ?? 'base64';
  const contentHeaders =
    kind === 'base64'
      ? ['Content-Type: application/octet-stream; name="big.bin"', 'Content-Disposition: attachment; filename="big.bin"', 'Content-Transfer-Encoding: base64']
      : ['Content-Type: text/plain; charset=us-ascii', 'Content-Transfer-Encoding: 7bit'];
  const head = headers({ ...o, subject: o.subject ?? `Big message ${sizeBytes} bytes` }, contentHeaders);
  const padPrefix = 'X-Padding: ';
  const lineLen = 78; // 76 characters + CRLF
  const fixed = Buffer.byteLength(head) + padPrefix.length + 2 + 2; // padding header CRLF + blank line
  const room = sizeBytes - fixed;
  if (room < 0) throw new Error(`bigMessage: ${sizeBytes} bytes is smaller than the headers (${fixed} bytes)`);
  const lineCount = Math.floor(room / lineLen);
  const padding = room - lineCount * lineLen; // 0..77, fits in one header line
  let body: string;
  if (kind === 'base64') {
    const data = randomBytesFromSeed(lineCount * 57, seed);
    body = base64Lines(data);
  } else {
    body = loremLines(lineCount, seed, 76)
      .map((l) => l.padEnd(76, '.') + CRLF)
      .join('');
  }
  const out = toBuffer(head + padPrefix + 'x'.repeat(padding) + CRLF + CRLF + body);
  if (out.length !== sizeBytes) throw new Error(`bigMessage: built ${out.length} bytes, wanted ${sizeBytes}`);
  return out;
}

/** A varied, deterministic list: every kind above, cycling, with distinct seeds. */
export function mixedMailbox(count: number, seed = 1): Buffer[] {
  const makers: Array<(s: number) => Buffer> = [
    (s) => plainText({ seed: s }),
    (s) => withAttachments({ seed: s }),
    (s) => nestedAlternative({ seed: s }),
    (s) => utf8Message({ seed: s }),
    (s) => dotLines({ seed: s }),
    (s) => bigMessage(20_000 + (s % 7) * 1000, { seed: s }),
  ];
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) out.push(makers[i % makers.length](seed * 1000 + i));
  return out;
}
