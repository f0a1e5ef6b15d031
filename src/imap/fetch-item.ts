// Classifies FETCH items by name, for commands (`BODY.PEEK[1]<0.100>`) and responses
// (`BODY[1]<0>`) alike (RFC 3501 §6.4.5 / §7.4.2, RFC 9051, RFC 3516 BINARY).
//
// Only the message content matters to the scanner: whole messages, message texts and single parts.
// Header-only sections pass through; so do BODYSTRUCTURE, ENVELOPE, FLAGS and friends.

export type BodyScope = 'whole' | 'text' | 'part' | 'header';

export interface BodySectionItem {
  kind: 'body';
  scope: BodyScope;
  /** The name a server uses in its answer, without origin: `BODY[]`, `BINARY[1.2]`, `RFC822.TEXT`. */
  responseName: string;
  /** BINARY[…]: content arrives transfer-decoded. */
  binary: boolean;
  /** BODY.PEEK / BINARY.PEEK (commands only). */
  peek: boolean;
  /** `<origin>` of a response or `<origin.length>` of a command. */
  origin?: number;
  length?: number;
  /** Offset in the name where `<` starts, when there is an origin. */
  partialAt?: number;
}

export type FetchItem = BodySectionItem | { kind: 'uid' } | { kind: 'size' } | { kind: 'other' };

const OTHER: FetchItem = { kind: 'other' };
const UID: FetchItem = { kind: 'uid' };
const SIZE: FetchItem = { kind: 'size' };
const PART_PATH = /^[1-9][0-9]*(\.[1-9][0-9]*)*$/;

function sectionScope(section: string, binary: boolean): BodyScope | undefined {
  if (section === '') return 'whole';
  if (PART_PATH.test(section)) return 'part';
  if (binary) return undefined;
  const lastPart = /^((?:[1-9][0-9]*\.)*)(.*)$/s.exec(section);
  const text = lastPart ? lastPart[2] : section;
  if (text === 'TEXT') return 'text';
  if (text === 'HEADER' || text === 'MIME' || text.startsWith('HEADER.FIELDS')) return 'header';
  return undefined;
}

function parsePartial(text: string): { origin: number; length?: number } | undefined {
  const m = /^<([0-9]{1,15})(?:\.([0-9]{1,15}))?>$/.exec(text);
  if (!m) return undefined;
  return { origin: Number(m[1]), length: m[2] === undefined ? undefined : Number(m[2]) };
}

/** `name` is the item as written, upper-cased: `BODY.PEEK[HEADER.FIELDS (FROM)]`, `UID`, `RFC822`. */
export function classifyFetchItem(name: string): FetchItem {
  switch (name) {
    case 'UID':
      return UID;
    case 'RFC822.SIZE':
      return SIZE;
    case '':
      return OTHER;
    case 'RFC822':
      return { kind: 'body', scope: 'whole', responseName: 'RFC822', binary: false, peek: false };
    case 'RFC822.TEXT':
      return { kind: 'body', scope: 'text', responseName: 'RFC822.TEXT', binary: false, peek: false };
    case 'RFC822.HEADER':
      return { kind: 'body', scope: 'header', responseName: 'RFC822.HEADER', binary: false, peek: false };
  }
  const open = name.indexOf('[');
  if (open < 0) return OTHER;
  const base = name.slice(0, open);
  let binary: boolean;
  let peek = false;
  switch (base) {
    case 'BODY':
      binary = false;
      break;
    case 'BODY.PEEK':
      binary = false;
      peek = true;
      break;
    case 'BINARY':
      binary = true;
      break;
    case 'BINARY.PEEK':
      binary = true;
      peek = true;
      break;
    default:
      return OTHER; // BINARY.SIZE[…] and unknown extensions
  }
  const close = name.lastIndexOf(']');
  if (close < open) return OTHER;
  const section = name.slice(open + 1, close);
  const scope = sectionScope(section, binary);
  if (!scope) return OTHER;
  const item: BodySectionItem = {
    kind: 'body',
    scope,
    responseName: `${binary ? 'BINARY' : 'BODY'}[${section}]`,
    binary,
    peek,
  };
  const rest = name.slice(close + 1);
  if (rest !== '') {
    const partial = parsePartial(rest);
    if (!partial) return OTHER;
    item.origin = partial.origin;
    item.length = partial.length;
    item.partialAt = close + 1;
  }
  return item;
}

/** Sections whose content is scanned (everything but header-only sections). */
export function isScannedScope(scope: BodyScope): boolean {
  return scope !== 'header';
}

/** Raw whole messages, whose size is what RFC822.SIZE reports. */
export function isRawWholeMessage(item: BodySectionItem): boolean {
  return item.scope === 'whole' && !item.binary;
}
