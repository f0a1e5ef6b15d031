import { unquote } from './ascii.js';
import { ImapTokenizer } from './tokenizer.js';

/**
 * The astring at pos of a client's command line (a LOGIN user name, a SELECT mailbox): its value,
 * 'literal' if it is the literal announced at the line end, or undefined.
 */
export function readAstring(line: Buffer, pos: number): string | 'literal' | undefined {
  const tokens = new ImapTokenizer(line, pos, true);
  const token = tokens.nextAstring();
  switch (token.kind) {
    case 'literal':
      return 'literal';
    case 'quoted':
      return unquote(line, token.start, token.end).toString('utf8');
    case 'atom':
      return line.toString('utf8', token.start, token.end);
    case 'bad':
      return token.reason === 'empty' ? '' : undefined;
    default:
      return undefined;
  }
}
