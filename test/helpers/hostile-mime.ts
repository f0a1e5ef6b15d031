// Hostile message structures, built in code: nesting thousands of levels deep, tens of thousands of parts.
// Mail content is chosen by whoever sends the mail, so the proxy must survive all of these.

const CRLF = '\r\n';
const HEADER = `From: hostile@example.org${CRLF}To: alice@example.org${CRLF}Subject: nested${CRLF}MIME-Version: 1.0${CRLF}`;

/** multipart/mixed inside multipart/mixed, `depth` levels, with `leaf` as the innermost part's body. */
export function nestedMultipart(depth: number, leaf = 'innermost'): Buffer {
  const opening: string[] = [];
  const closing: string[] = [];
  for (let level = 0; level < depth; level++) {
    opening.push(`Content-Type: multipart/mixed; boundary="b${level}"${CRLF}${CRLF}--b${level}${CRLF}`);
    closing.unshift(`${CRLF}--b${level}--${CRLF}`);
  }
  return Buffer.from(`${HEADER}${opening.join('')}Content-Type: text/plain${CRLF}${CRLF}${leaf}${closing.join('')}`, 'latin1');
}

/** message/rfc822 inside message/rfc822, `depth` levels. */
export function nestedRfc822(depth: number, leaf = 'innermost'): Buffer {
  const level = `Content-Type: message/rfc822${CRLF}${CRLF}Subject: level${CRLF}`;
  return Buffer.from(`${HEADER}${level.repeat(depth)}Content-Type: text/plain${CRLF}${CRLF}${leaf}${CRLF}`, 'latin1');
}

/** Alternating multipart and message/rfc822 levels. */
export function nestedMixed(depth: number, leaf = 'innermost'): Buffer {
  const opening: string[] = [];
  const closing: string[] = [];
  for (let level = 0; level < depth; level++) {
    if (level % 2 === 0) {
      opening.push(`Content-Type: multipart/mixed; boundary="m${level}"${CRLF}${CRLF}--m${level}${CRLF}`);
      closing.unshift(`${CRLF}--m${level}--${CRLF}`);
    } else {
      opening.push(`Content-Type: message/rfc822${CRLF}${CRLF}Subject: level ${level}${CRLF}`);
    }
  }
  return Buffer.from(`${HEADER}${opening.join('')}Content-Type: text/plain${CRLF}${CRLF}${leaf}${closing.join('')}`, 'latin1');
}

/** One multipart with `count` small text parts. */
export function manyParts(count: number): Buffer {
  const parts = `--p${CRLF}Content-Type: text/plain${CRLF}${CRLF}x${CRLF}`.repeat(count);
  return Buffer.from(`${HEADER}Content-Type: multipart/mixed; boundary="p"${CRLF}${CRLF}${parts}--p--${CRLF}`, 'latin1');
}

/** One entity whose header has `lines` header lines. */
export function hugeHeader(lines: number): Buffer {
  return Buffer.from(`${HEADER}${`X-Filler: ${'y'.repeat(60)}${CRLF}`.repeat(lines)}Content-Type: text/plain${CRLF}${CRLF}body${CRLF}`, 'latin1');
}
