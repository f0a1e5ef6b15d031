// A seeded generator of messy MIME for differential tests: nested multiparts (digest, alternative, mixed),
// message/rfc822, missing and stray boundaries, boundaries that prefix each other, CR-only / LF-only /
// CRLF lines mixed in one message, long lines, NULs and folded fields in headers, delimiters inside
// headers, and cuts anywhere. Not a model of valid MIME: what matters is that every walk of it agrees.
import { prng } from '../../helpers/messages.js';

export function randomMime(seed: number): Buffer {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const chance = (p: number) => random() < p;
  const eols = ['\r\n', '\r\n', '\n', '\r'];
  const eol = () => (chance(0.85) ? lineEnd : pick(eols));
  const lineEnd = pick(['\r\n', '\n']);
  const boundaries: string[] = [];
  const out: string[] = [];

  const text = (lines: number) => {
    for (let line = 0; line < lines; line++) {
      const roll = random();
      if (roll < 0.05) out.push('x'.repeat(1 + Math.floor(random() * 3000)));
      else if (roll < 0.1 && boundaries.length > 0) out.push(`--${pick(boundaries)}${pick(['', '--', 'x', ' '])}`);
      else if (roll < 0.13) out.push('--');
      else if (roll < 0.16) out.push('begin 644 f.bin');
      else out.push(`line ${Math.floor(random() * 1e6)} ${'abc'.repeat(Math.floor(random() * 20))}`);
      out.push(eol());
    }
  };

  const header = (type: string, extra: string[] = []) => {
    if (chance(0.1)) out.push(`X-Nul: a\u0000b${eol()}`);
    if (chance(0.2)) out.push(`Subject: folded${eol()}\tcontinued${eol()}`);
    if (type !== '') out.push(`Content-Type: ${type}${eol()}`);
    for (const field of extra) out.push(`${field}${eol()}`);
    if (chance(0.05) && boundaries.length > 0) out.push(`--${pick(boundaries)}${eol()}`);
    if (chance(0.95)) out.push(eol());
  };

  const entity = (depth: number, inDigest: boolean): void => {
    const roll = random();
    if (depth < 6 && roll < 0.35) {
      const boundary = chance(0.3) && boundaries.length > 0 ? `${pick(boundaries)}${chance(0.5) ? '' : 'x'}` : `b${Math.floor(random() * 1000)}`;
      const subtype = pick(['mixed', 'alternative', 'digest', 'related']);
      header(`multipart/${subtype}; boundary="${boundary}"`);
      boundaries.push(boundary);
      if (chance(0.5)) text(1 + Math.floor(random() * 3));
      const children = Math.floor(random() * 4);
      for (let child = 0; child < children; child++) {
        out.push(`--${boundary}${chance(0.1) ? '  trailing' : ''}${eol()}`);
        entity(depth + 1, subtype === 'digest');
      }
      if (chance(0.8)) out.push(`--${boundary}--${eol()}`);
      if (chance(0.3)) text(1 + Math.floor(random() * 2));
      if (chance(0.7)) boundaries.pop();
      return;
    }
    if (depth < 6 && roll < 0.5) {
      header(inDigest && chance(0.5) ? '' : 'message/rfc822', chance(0.1) ? ['Content-Transfer-Encoding: base64'] : []);
      header(chance(0.5) ? 'text/plain' : '');
      text(1 + Math.floor(random() * 4));
      return;
    }
    const leafType = pick(['text/plain', 'application/octet-stream', 'text/html; charset=utf-8', '', 'multipart/mixed']);
    header(leafType, chance(0.3) ? [`Content-Transfer-Encoding: ${pick(['base64', 'quoted-printable', '7bit', 'x-weird'])}`] : []);
    text(Math.floor(random() * 8));
  };

  out.push(`From: a@example.org${lineEnd}`);
  entity(0, false);
  const bytes = Buffer.from(out.join(''), 'latin1');
  return chance(0.15) ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
}
