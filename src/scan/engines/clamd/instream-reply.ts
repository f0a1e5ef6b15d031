// clamd's answers to INSTREAM: "stream: OK", "stream: NAME FOUND", "INSTREAM size limit exceeded.
// ERROR" when the stream passed StreamMaxLength, and "... ERROR" for anything else that went wrong.
import { ClamdError } from './clamd-errors.js';

export type InstreamResult = { kind: 'clean' } | { kind: 'found'; names: string[] } | { kind: 'size-limit' };

const FOUND = /^(?:stream|[^:]*): (.+) FOUND$/;
const OK = /^(?:stream|[^:]*): OK$/;

export function parseInstreamReply(reply: string): InstreamResult {
  const lines = reply
    .split(/[\0\n]/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (lines.length === 0) throw new ClamdError('clamd sent an empty reply to INSTREAM');
  const names: string[] = [];
  for (const line of lines) {
    if (line.endsWith('ERROR')) {
      if (/size limit exceeded/i.test(line)) return { kind: 'size-limit' };
      throw new ClamdError(`clamd: ${line}`);
    }
    const found = FOUND.exec(line);
    if (found) names.push(found[1]);
    else if (!OK.test(line)) throw new ClamdError(`unexpected reply from clamd: '${line}'`);
  }
  return names.length > 0 ? { kind: 'found', names } : { kind: 'clean' };
}
