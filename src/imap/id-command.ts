// The client's ID command (RFC 2971): `tag ID ("name" "Thunderbird" "version" "115.0")` or `tag ID NIL`.
// Field names and values are strings (quoted or literals) or NIL. The collector is fed the command's
// text after "ID " and any literal content, in order, and tells the name field once the command ends.
import { DEFAULT_PROTOCOL_LIMITS } from '../protocol/limits.js';
import { unquote } from './ascii.js';
import { ImapTokenizer } from './tokenizer.js';

export interface ClientId {
  name?: string;
  version?: string;
}

type Token = { kind: 'open' } | { kind: 'close' } | { kind: 'nil' } | { kind: 'string'; value: string };

export class IdCollector {
  private readonly tokens: Token[] = [];
  private literalParts: Buffer[] = [];
  private bytes = 0;
  private broken = false;

  /** maxBytes: imap.idBytes, the most of the command's text and literals it reads. */
  constructor(private readonly maxBytes = DEFAULT_PROTOCOL_LIMITS.imap.idBytes) {}

  /** True once the command went past maxBytes: the collector then gives nothing. */
  get overLimit(): boolean {
    return this.bytes > this.maxBytes;
  }

  /** A line of the command (the first one from after "ID "), with its CRLF and any literal header at the end. */
  text(segment: Buffer): void {
    if (!this.count(segment.length)) return;
    const tokens = new ImapTokenizer(segment, 0, true);
    for (;;) {
      const token = tokens.next();
      switch (token.kind) {
        case 'sp':
          break;
        case 'open':
          this.tokens.push({ kind: 'open' });
          break;
        case 'close':
          this.tokens.push({ kind: 'close' });
          break;
        case 'quoted':
          this.tokens.push({ kind: 'string', value: unquote(segment, token.start, token.end).toString('utf8') });
          break;
        case 'nil':
          this.tokens.push({ kind: 'nil' });
          break;
        case 'atom':
        case 'number':
          // Not strings by RFC 2971's grammar, but taken as such, as servers do.
          this.tokens.push({ kind: 'string', value: segment.toString('latin1', token.start, token.end) });
          break;
        case 'literal': // its content arrives through literal()
        case 'end':
          return;
        default:
          return this.fail();
      }
    }
  }

  literal(chunk: Buffer): void {
    if (!this.count(chunk.length)) return;
    this.literalParts.push(Buffer.from(chunk));
  }

  literalEnd(): void {
    if (this.broken) return;
    this.tokens.push({ kind: 'string', value: Buffer.concat(this.literalParts).toString('utf8') });
    this.literalParts = [];
  }

  /** The fields, or undefined when the command was not a well-formed ID. */
  finish(): ClientId | undefined {
    if (this.broken) return undefined;
    const tokens = this.tokens;
    if (tokens.length === 1 && tokens[0].kind === 'nil') return {};
    if (tokens.length < 2 || tokens[0].kind !== 'open' || tokens[tokens.length - 1].kind !== 'close') return undefined;
    const inner = tokens.slice(1, -1);
    if (inner.length % 2 !== 0) return undefined;
    const id: ClientId = {};
    for (let i = 0; i < inner.length; i += 2) {
      const key = inner[i];
      const value = inner[i + 1];
      if (key.kind !== 'string' || (value.kind !== 'string' && value.kind !== 'nil')) return undefined;
      const field = key.value.toLowerCase();
      if ((field === 'name' || field === 'version') && value.kind === 'string' && id[field] === undefined) id[field] = value.value;
    }
    return id;
  }

  private count(n: number): boolean {
    this.bytes += n;
    if (this.overLimit) this.fail();
    return !this.broken;
  }

  private fail(): void {
    this.broken = true;
    this.literalParts = [];
  }
}
