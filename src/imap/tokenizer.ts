import { BACKSLASH, CR, DQUOTE, GT, LBRACKET, LF, LPAREN, LT, RBRACKET, RPAREN, SP, isDigit, startsWithWord } from './ascii.js';
import { literalAtLineEnd, type LiteralHeader } from './literal-header.js';

// The one IMAP tokenizer (RFC 9051 §4 and §9): a sans-io scanner over one line of a command or
// response, from a start offset to the line terminator. Tokens carry byte offsets into the line, so
// callers cut, keep or replace exactly those bytes and nothing is decoded unless asked.
//
// A literal can only be announced at the very end of a line (`{N}`, `{N+}`, `{N-}`, `~{N}`, see
// literal-header.ts); its header is the last token of the line and its content, which follows the
// line terminator, never passes through here. Lists are reported as `(` and `)` tokens: nesting is
// the caller's counter, so any depth costs one step per byte like everything else. Every call
// advances or reports that the line is used up (a bad token uses it up), and looks at each byte a
// bounded number of times: the work for a line is linear in its length whatever it holds.
//
// Atoms are read as servers and clients really write them rather than by the strict ATOM-CHAR set
// (a proxy passes on what the other side accepts): an atom runs to SP, `(`, `)`, DQUOTE, CR or LF.

export type Token =
  | { kind: 'sp'; start: number; end: number }
  | { kind: 'open'; start: number; end: number }
  | { kind: 'close'; start: number; end: number }
  /** Digits only, at most 15 of them (exactly representable). */
  | { kind: 'number'; start: number; end: number; value: number }
  /** NIL in any case. */
  | { kind: 'nil'; start: number; end: number }
  | { kind: 'atom'; start: number; end: number }
  /** A quoted string; start is the opening DQUOTE, end is just after the closing one. */
  | { kind: 'quoted'; start: number; end: number }
  /** The literal header at the line end; end is just after `}`. */
  | { kind: 'literal'; start: number; end: number; header: LiteralHeader }
  /** A FETCH item name: atom, optional `[section]`, optional `<partial>`. */
  | { kind: 'fetch-att'; start: number; end: number }
  /** The line (the part before a literal header) ended inside a section or partial. */
  | { kind: 'incomplete'; start: number; end: number }
  /** Nothing left before the line terminator (and the literal header, if any, has been read). */
  | { kind: 'end'; start: number; end: number }
  /** A quoted string the line ends inside of, a bare CR inside the line, or an empty astring. */
  | { kind: 'bad'; start: number; end: number; reason: 'unterminated-quoted' | 'control' | 'empty' };

/** Number, NIL or other atom. */
export type AtomToken = Extract<Token, { kind: 'atom' | 'number' | 'nil' }>;

export function isAtomLike(token: Token): token is AtomToken {
  return token.kind === 'atom' || token.kind === 'number' || token.kind === 'nil';
}

const MAX_NUMBER_DIGITS = 15;

/** Offset where the line terminator starts (CRLF or bare LF); the whole length if there is none. */
function terminatorStart(line: Buffer): number {
  const last = line.length - 1;
  if (last < 0 || line[last] !== LF) return line.length;
  return last >= 1 && line[last - 1] === CR ? last - 1 : last;
}

function endsAtom(byte: number): boolean {
  return byte === SP || byte === LPAREN || byte === RPAREN || byte === DQUOTE || byte === CR || byte === LF;
}

/**
 * End (exclusive) of the quoted string whose opening quote is at start, or -1 if the closing quote
 * does not come before limit (or a CR or LF comes first).
 */
function quotedEnd(buf: Buffer, start: number, limit: number): number {
  let i = start + 1;
  while (i < limit) {
    const byte = buf[i];
    if (byte === BACKSLASH) {
      i += 2;
      continue;
    }
    if (byte === DQUOTE) return i + 1;
    if (byte === CR || byte === LF) return -1;
    i++;
  }
  return -1;
}

export class ImapTokenizer {
  /** The literal header that ends the line, if any. */
  readonly literal: LiteralHeader | null;
  /** Where tokens stop: the literal header's start, or the line terminator. */
  readonly limit: number;
  private position: number;
  private literalRead = false;

  /**
   * Tokens of `line` (which ends with its terminator, if it has one) from `from` on. `allowNonSync`
   * accepts `{N+}`/`{N-}` literal headers, which only clients send.
   */
  constructor(
    readonly line: Buffer,
    from: number,
    allowNonSync: boolean,
  ) {
    this.literal = literalAtLineEnd(line, allowNonSync);
    this.limit = this.literal ? this.literal.start : terminatorStart(line);
    this.position = from;
  }

  get pos(): number {
    return this.position;
  }

  /** No bytes left before the limit (the literal header may still be to read). */
  get atLimit(): boolean {
    return this.position >= this.limit;
  }

  /** The next token; atoms are atoms, numbers or NIL. */
  next(): Token {
    return this.scan(false);
  }

  /**
   * The next token, where an atom is read as a FETCH item name (RFC 9051 §9 fetch-att / msg-att):
   * atom characters, then optionally `[section-spec]` — header-list field names may be quoted — and
   * `<partial>`. A name the line ends inside of is `incomplete`.
   */
  nextFetchAtt(): Token {
    return this.scan(true);
  }

  private scan(fetchAtt: boolean): Token {
    const start = this.position;
    if (start >= this.limit) return this.tail();
    switch (this.line[start]) {
      case SP:
        return { kind: 'sp', start, end: ++this.position };
      case LPAREN:
        return { kind: 'open', start, end: ++this.position };
      case RPAREN:
        return { kind: 'close', start, end: ++this.position };
      case DQUOTE:
        return this.quoted(start);
      case CR:
      case LF:
        return this.bad(start, 'control');
    }
    let end = start;
    while (end < this.limit) {
      const byte = this.line[end];
      if (fetchAtt && byte === LBRACKET) return this.sectionFrom(start, end + 1);
      if (endsAtom(byte)) break;
      end++;
    }
    this.position = end;
    return fetchAtt ? { kind: 'fetch-att', start, end } : classifyAtom(this.line, start, end);
  }

  /**
   * An astring (RFC 9051 §9: atom, `]` allowed, or string) — read as far as the next SP, as the
   * user names and mailbox names clients send: quoted, literal, or the bytes up to SP.
   */
  nextAstring(): Token {
    const start = this.position;
    if (start >= this.limit) return this.tail();
    const byte = this.line[start];
    if (byte === DQUOTE) return this.quoted(start);
    if (byte === SP || byte === CR || byte === LF) return this.bad(start, 'empty');
    let end = start + 1;
    while (end < this.limit) {
      const b = this.line[end];
      if (b === SP || b === CR || b === LF) break;
      end++;
    }
    this.position = end;
    return { kind: 'atom', start, end };
  }

  /**
   * Passes over list content at nesting `depth` (> 0) without making tokens, as far as the `)` that
   * closes the outermost list (the position is then just after it) or the limit. Returns the depth
   * left: 0 when the list closed, -1 for an unterminated quoted string or a bare CR (a bad token).
   */
  skipList(depth: number): number {
    const line = this.line;
    let open = depth;
    let i = this.position;
    while (i < this.limit) {
      const byte = line[i];
      if (byte === DQUOTE) {
        const end = quotedEnd(line, i, this.limit);
        if (end < 0) break;
        i = end;
        continue;
      }
      if (byte === CR || byte === LF) break;
      i++;
      if (byte === LPAREN) open++;
      else if (byte === RPAREN && --open === 0) {
        this.position = i;
        return 0;
      }
    }
    if (i >= this.limit) {
      this.position = i;
      return open;
    }
    this.position = this.limit; // as after a bad token
    return -1;
  }

  /** Continues a FETCH item name from inside its section spec (after a literal in the spec). */
  continueSection(): Token {
    if (this.position >= this.limit) return this.tail();
    return this.sectionFrom(this.position, this.position);
  }

  private sectionFrom(start: number, inside: number): Token {
    let i = inside;
    while (i < this.limit) {
      const byte = this.line[i];
      if (byte === DQUOTE) {
        const end = quotedEnd(this.line, i, this.limit);
        if (end < 0) break;
        i = end;
        continue;
      }
      if (byte === RBRACKET) return this.partialFrom(start, i + 1);
      i++;
    }
    this.position = this.limit;
    return { kind: 'incomplete', start, end: this.limit };
  }

  private partialFrom(start: number, afterSection: number): Token {
    let i = afterSection;
    if (i < this.limit && this.line[i] === LT) {
      while (i < this.limit && this.line[i] !== GT) i++;
      if (i >= this.limit) {
        this.position = this.limit;
        return { kind: 'incomplete', start, end: this.limit };
      }
      i++;
    }
    this.position = i;
    return { kind: 'fetch-att', start, end: i };
  }

  private quoted(start: number): Token {
    const end = quotedEnd(this.line, start, this.limit);
    if (end < 0) return this.bad(start, 'unterminated-quoted');
    this.position = end;
    return { kind: 'quoted', start, end };
  }

  /** A bad token ends the tokens of the line: nothing after it can be read reliably. */
  private bad(start: number, reason: 'unterminated-quoted' | 'control' | 'empty'): Token {
    this.position = this.limit;
    return { kind: 'bad', start, end: this.limit, reason };
  }

  private tail(): Token {
    const literal = this.literal;
    if (literal && !this.literalRead && this.position <= literal.start) {
      this.literalRead = true;
      this.position = literal.end;
      return { kind: 'literal', start: literal.start, end: literal.end, header: literal };
    }
    return { kind: 'end', start: this.position, end: this.position };
  }
}

function classifyAtom(line: Buffer, start: number, end: number): AtomToken {
  const length = end - start;
  if (length === 3 && startsWithWord(line, start, 'NIL')) return { kind: 'nil', start, end };
  if (length <= MAX_NUMBER_DIGITS) {
    let value = 0;
    let i = start;
    while (i < end && isDigit(line[i])) value = value * 10 + (line[i++] - 0x30);
    if (i === end) return { kind: 'number', start, end, value };
  }
  return { kind: 'atom', start, end };
}
