// A large message of many parts, for the walk test and scripts/bench/unit-timings.ts.
/** A message of about `megabytes` MB: a few big base64 attachments and many small text parts. */
export function largeMessage(megabytes: number): Buffer {
  const attachment = (Buffer.alloc(((megabytes * 1024 * 1024) / 4) * 0.75, 7).toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
  const chunks = ['Content-Type: multipart/mixed; boundary=zz\r\n\r\n'];
  for (let index = 0; index < 3; index++) {
    chunks.push(`--zz\r\nContent-Type: application/octet-stream; name="f${index}.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${attachment}\r\n`);
  }
  const text = 'a line of ordinary text in a message body\r\n'.repeat(500);
  const textParts = Math.round((megabytes * 1024 * 1024) / 4 / text.length);
  for (let index = 0; index < textParts; index++) chunks.push(`--zz\r\nContent-Type: text/plain\r\n\r\n${text}\r\n`);
  chunks.push('--zz--\r\n');
  return Buffer.from(chunks.join(''));
}
