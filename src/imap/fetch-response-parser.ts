import { latin1, startsWithWord } from './ascii.js';
import { ImapTokenizer, isAtomLike } from './tokenizer.js';

// Incremental parser, on the IMAP tokenizer, for the msg-att list of `* n FETCH (…)` (RFC 3501 §7.4.2). The response
// arrives as line segments separated by literals; each segment is parsed completely (it is short),
// literal content never passes through here. Items are reported with their byte offsets in the
// segment so the caller can cut, keep or replace exactly those bytes.

export type ItemValue =
  /** number, atom or NIL */
  | { form: 'atom'; start: number; end: number }
  /** raw bytes including the quotes */
  | { form: 'quoted'; start: number; end: number }
  /** a parenthesized list that started and ended in this segment */
  | { form: 'list'; start: number; end: number }
  /** literal header at the end of the segment, content follows; `end` is the segment length and
   * `headerEnd` the offset just after `}` (the line terminator starts there) */
  | { form: 'literal'; start: number; end: number; headerEnd: number; size: number; binary: boolean };

export interface ParsedFetchItem {
  /** Upper-cased item name including section and origin, e.g. `BODY[1]<0>`; '' if unreadable. */
  name: string;
  nameStart: number;
  nameEnd: number;
  /** Undefined when the value spans segments (a list containing literals). */
  value?: ItemValue;
}

export interface FetchSegmentResult {
  items: ParsedFetchItem[];
  /** The item value announced at the segment end is a literal (the last item's value). */
  directLiteral: boolean;
  /** A literal inside a list value or a section spec: its content passes through. */
  nestedLiteral?: { size: number; binary: boolean };
  /** The response ends with this segment. */
  complete: boolean;
  /** The segment did not parse; the caller treats the rest of the response as opaque. */
  malformed: boolean;
}

type State = 'itemStart' | 'value' | 'nested' | 'afterValue' | 'closed' | 'section';

const OPAQUE_NAME = '';

function malformed(result: FetchSegmentResult, complete: boolean): FetchSegmentResult {
  result.malformed = true;
  result.complete = complete;
  return result;
}

/**
 * Upper-cased item name. Only UID, RFC822…, BODY… and BINARY… matter to the engine; other names
 * (FLAGS, ENVELOPE, MODSEQ, X-GM-…) are not turned into strings at all.
 */
function itemName(seg: Buffer, start: number, end: number): string {
  const first = seg[start] | 0x20;
  if (first !== 0x62 && first !== 0x72 && first !== 0x75) return OPAQUE_NAME; // b, r, u
  const length = end - start;
  if (length === 3 && startsWithWord(seg, start, 'UID')) return 'UID';
  if (length === 11 && startsWithWord(seg, start, 'RFC822.SIZE')) return 'RFC822.SIZE';
  return latin1(seg, start, end).toUpperCase();
}

export class FetchResponseParser {
  private state: State = 'itemStart';
  private depth = 0;

  /** Parses one segment; `from` is where the msg-att content starts (after `(` on the first line). */
  parseSegment(seg: Buffer, from: number): FetchSegmentResult {
    const result: FetchSegmentResult = { items: [], directLiteral: false, complete: false, malformed: false };
    const tokens = new ImapTokenizer(seg, from, false);
    const literal = tokens.literal;
    let current: ParsedFetchItem | undefined;
    let listStart = -1;

    while (this.state !== 'closed' && !tokens.atLimit) {
      switch (this.state) {
        case 'itemStart': {
          const token = tokens.nextFetchAtt();
          if (token.kind === 'sp') break;
          if (token.kind === 'close') {
            this.state = 'closed';
            break;
          }
          if (token.kind === 'incomplete') {
            this.state = 'section';
            if (!literal) return malformed(result, literal === null);
            result.nestedLiteral = { size: literal.size, binary: literal.binary };
            return result;
          }
          if (token.kind !== 'fetch-att') return malformed(result, literal === null);
          const after = tokens.next();
          if (after.kind !== 'sp') return malformed(result, literal === null);
          current = { name: itemName(seg, token.start, token.end), nameStart: token.start, nameEnd: token.end };
          result.items.push(current);
          this.state = 'value';
          break;
        }
        case 'section': {
          // Continuing a section spec that contained a literal: the name is unreadable, its value passes.
          const token = tokens.continueSection();
          if (token.kind === 'incomplete') {
            if (!literal) return malformed(result, literal === null);
            result.nestedLiteral = { size: literal.size, binary: literal.binary };
            return result;
          }
          if (token.kind !== 'fetch-att' || tokens.next().kind !== 'sp') return malformed(result, literal === null);
          current = { name: OPAQUE_NAME, nameStart: token.start, nameEnd: token.end };
          result.items.push(current);
          this.state = 'value';
          break;
        }
        case 'value': {
          const token = tokens.next();
          if (token.kind === 'open') {
            this.depth = 1;
            listStart = token.start;
            this.state = 'nested';
          } else if (token.kind === 'quoted' || isAtomLike(token)) {
            if (current) current.value = { form: token.kind === 'quoted' ? 'quoted' : 'atom', start: token.start, end: token.end };
            this.state = 'afterValue';
          } else {
            return malformed(result, literal === null);
          }
          break;
        }
        case 'nested': {
          const depth = tokens.skipList(this.depth);
          if (depth < 0) return malformed(result, literal === null);
          this.depth = depth;
          if (depth === 0) {
            if (current && listStart >= 0) current.value = { form: 'list', start: listStart, end: tokens.pos };
            this.state = 'afterValue';
          }
          break;
        }
        case 'afterValue': {
          const token = tokens.next();
          if (token.kind === 'sp') this.state = 'itemStart';
          else if (token.kind === 'close') this.state = 'closed';
          else return malformed(result, literal === null);
          break;
        }
      }
    }

    if (literal) {
      if (this.state === 'value') {
        if (!current) return malformed(result, literal === null);
        current.value = {
          form: 'literal',
          start: literal.start,
          end: seg.length,
          headerEnd: literal.end,
          size: literal.size,
          binary: literal.binary,
        };
        result.directLiteral = true;
        this.state = 'afterValue';
        return result;
      }
      if (this.state === 'nested') {
        result.nestedLiteral = { size: literal.size, binary: literal.binary };
        return result;
      }
      return malformed(result, literal === null);
    }
    // Anything after the closing parenthesis is tolerated up to the line end.
    if (this.state !== 'closed') return malformed(result, literal === null);
    result.complete = true;
    return result;
  }
}
