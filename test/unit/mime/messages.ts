// Builders for test messages. Everything is made here, in code, so each test shows its input.

export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

export function lines(...parts: string[]): string {
  return parts.join('\r\n');
}

export function message(text: string, eol: '\r\n' | '\n' = '\r\n'): Buffer {
  return Buffer.from(eol === '\r\n' ? text : text.replace(/\r\n/g, '\n'), 'utf8');
}

export function base64Lines(content: Buffer | string, width = 76, eol = '\r\n'): string {
  const encoded = Buffer.from(content).toString('base64');
  const out: string[] = [];
  for (let index = 0; index < encoded.length; index += width) out.push(encoded.slice(index, index + width));
  return out.join(eol);
}

/** uuencode as `uuencode name` would write it (without the begin/end lines). */
export function uuencodeLines(content: Buffer | string): string {
  const data = Buffer.from(content);
  const encodeChar = (value: number): string => (value === 0 ? '`' : String.fromCharCode(value + 0x20));
  const out: string[] = [];
  for (let offset = 0; offset < data.length; offset += 45) {
    const chunk = data.subarray(offset, offset + 45);
    let line = encodeChar(chunk.length);
    for (let index = 0; index < chunk.length; index += 3) {
      const [a = 0, b = 0, c = 0] = [chunk[index], chunk[index + 1], chunk[index + 2]];
      line += encodeChar(a >> 2) + encodeChar(((a << 4) | (b >> 4)) & 63) + encodeChar(((b << 2) | (c >> 6)) & 63) + encodeChar(c & 63);
    }
    out.push(line);
  }
  out.push('`');
  return out.join('\r\n');
}

/**
 * mixed(alternative(text, html), EICAR attachment base64, QP text, message/rfc822(mixed(text, attachment)), 8bit text)
 * Dovecot numbering: 1.1, 1.2, 2, 3, 4.1, 4.2, 5.
 */
export function richMessage(): Buffer {
  return message(
    lines(
      'From: Alice <alice@example.com>',
      'To: Bob <bob@example.com>',
      'Subject: Quarterly report',
      'Date: Mon, 1 Jan 2024 10:00:00 +0000',
      'Message-ID: <rich@example.com>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="outer-boundary"',
      '',
      'This is a multi-part message in MIME format.',
      '--outer-boundary',
      'Content-Type: multipart/alternative; boundary=alt',
      '',
      '--alt',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'Hello Bob,',
      'see attached.',
      '--alt',
      'Content-Type: text/html; charset=us-ascii',
      '',
      '<p>Hello Bob, see attached.</p>',
      '--alt--',
      '',
      '--outer-boundary',
      'Content-Type: application/octet-stream; name="eicar.com"',
      'Content-Disposition: attachment; filename="eicar.com"',
      'Content-Transfer-Encoding: base64',
      '',
      base64Lines(EICAR),
      '--outer-boundary',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Gr=C3=BC=C3=9Fe, a soft=',
      ' break and =3D sign.',
      '--outer-boundary',
      'Content-Type: message/rfc822; name="forwarded.eml"',
      'Content-Disposition: attachment; filename="forwarded.eml"',
      '',
      'From: Carol <carol@example.com>',
      'Subject: inner',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="inner-boundary"',
      '',
      '--inner-boundary',
      'Content-Type: text/plain',
      '',
      'inner text',
      '--inner-boundary',
      'Content-Type: application/x-msdownload; name="inner.exe"',
      'Content-Transfer-Encoding: base64',
      '',
      base64Lines(EICAR),
      '--inner-boundary--',
      '',
      '--outer-boundary',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Grüße aus Köln',
      '--outer-boundary--',
      '',
    ),
  );
}
