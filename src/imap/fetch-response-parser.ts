import {
  DQUOTE,
  GT,
  LBRACKET,
  LPAREN,
  LT,
  RBRACKET,
  RPAREN,
  SP,
  CR,
  LF,
  lineEndStart,
  quotedEnd,
  startsWithWord,
} from './ascii.js';
import { literalAtLineEnd } from './literal-header.js';

// Incremental tokenizer for the msg-att list of `* n FETCH (…)` (RFC 3501 §7.4.2). The response
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
  return seg.toString('latin1', start, end).toUpperCase();
}

export class FetchResponseParser {
  private state: State = 'itemStart';
  private depth = 0;

  /** Parses one segment; `from` is where the msg-att content starts (after `(` on the first line). */
  parseSegment(seg: Buffer, from: number): FetchSegmentResult {
    const result: FetchSegmentResult = { items: [], directLiteral: false, complete: false, malformed: false };
    const literal = literalAtLineEnd(seg, false);
    const limit = literal ? literal.start : lineEndStart(seg);
    let current: ParsedFetchItem | undefined;
    let listStart = -1;
    let i = from;

    while (i < limit) {
      const byte = seg[i];
      switch (this.state) {
        case 'itemStart': {
          if (byte === SP) {
            i++;
            break;
          }
          if (byte === RPAREN) {
            this.state = 'closed';
            i++;
            break;
          }
          const nameStart = i;
          const nameEnd = this.scanName(seg, i, limit);
          if (nameEnd < 0) {
            if ((this.state as State) === 'section' && literal) {
              result.nestedLiteral = { size: literal.size, binary: literal.binary };
              return result;
            }
            return malformed(result, literal === null);
          }
          if (nameEnd >= limit || seg[nameEnd] !== SP) return malformed(result, literal === null);
          current = { name: itemName(seg, nameStart, nameEnd), nameStart, nameEnd };
          result.items.push(current);
          i = nameEnd + 1;
          this.state = 'value';
          break;
        }
        case 'section': {
          // Continuing a section spec that contained a literal: the name is unreadable, its value passes.
          const end = this.scanSectionRest(seg, i, limit);
          if (end < 0) {
            if (literal) {
              result.nestedLiteral = { size: literal.size, binary: literal.binary };
              return result;
            }
            return malformed(result, literal === null);
          }
          if (end >= limit || seg[end] !== SP) return malformed(result, literal === null);
          current = { name: OPAQUE_NAME, nameStart: i, nameEnd: end };
          result.items.push(current);
          i = end + 1;
          this.state = 'value';
          break;
        }
        case 'value': {
          if (byte === LPAREN) {
            this.depth = 1;
            listStart = i;
            i++;
            this.state = 'nested';
            break;
          }
          if (byte === DQUOTE) {
            const end = quotedEnd(seg, i, limit);
            if (end < 0) return malformed(result, literal === null);
            if (current) current.value = { form: 'quoted', start: i, end };
            i = end;
            this.state = 'afterValue';
            break;
          }
          let end = i;
          while (end < limit) {
            const b = seg[end];
            if (b === SP || b === RPAREN || b === LPAREN || b === CR || b === LF || b === DQUOTE) break;
            end++;
          }
          if (end === i) return malformed(result, literal === null);
          if (current) current.value = { form: 'atom', start: i, end };
          i = end;
          this.state = 'afterValue';
          break;
        }
        case 'nested': {
          if (byte === DQUOTE) {
            const end = quotedEnd(seg, i, limit);
            if (end < 0) return malformed(result, literal === null);
            i = end;
            break;
          }
          if (byte === LPAREN) this.depth++;
          else if (byte === RPAREN) {
            this.depth--;
            if (this.depth === 0) {
              if (current && listStart >= 0) current.value = { form: 'list', start: listStart, end: i + 1 };
              this.state = 'afterValue';
            }
          }
          i++;
          break;
        }
        case 'afterValue': {
          if (byte === SP) this.state = 'itemStart';
          else if (byte === RPAREN) this.state = 'closed';
          else return malformed(result, literal === null);
          i++;
          break;
        }
        case 'closed':
          // Anything after the closing parenthesis is tolerated up to the line end.
          i = limit;
          break;
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
    if (this.state !== 'closed') return malformed(result, literal === null);
    result.complete = true;
    return result;
  }

  /**
   * End of an item name starting at pos (atom, optional `[section]`, optional `<origin>`), or -1.
   * Sets state 'section' when the line ends inside a section spec.
   */
  private scanName(seg: Buffer, pos: number, limit: number): number {
    let i = pos;
    while (i < limit) {
      const byte = seg[i];
      if (byte === LBRACKET) {
        const end = this.scanSectionRest(seg, i + 1, limit);
        if (end < 0) {
          this.state = 'section';
          return -1;
        }
        return end;
      }
      if (byte === SP || byte === RPAREN || byte === LPAREN || byte === DQUOTE) break;
      i++;
    }
    return i === pos ? -1 : i;
  }

  /** From inside a section spec: end of `…]` plus an optional `<origin>`, or -1 if the line ends first. */
  private scanSectionRest(seg: Buffer, pos: number, limit: number): number {
    let i = pos;
    while (i < limit) {
      const byte = seg[i];
      if (byte === DQUOTE) {
        const end = quotedEnd(seg, i, limit);
        if (end < 0) return -1;
        i = end;
        continue;
      }
      if (byte === RBRACKET) {
        i++;
        if (i < limit && seg[i] === LT) {
          const gt = seg.indexOf(GT, i);
          if (gt < 0 || gt >= limit) return -1;
          i = gt + 1;
        }
        return i;
      }
      i++;
    }
    return -1;
  }
}
