import { latin1, upperWord } from './ascii.js';
import { classifyFetchItem, type FetchItem } from './fetch-item.js';
import { ImapTokenizer, type Token } from './tokenizer.js';

// Parses the item list of a client FETCH / UID FETCH command (RFC 3501 §6.4.5, RFC 9051 §6.4.5)
// and rebuilds it with partial ranges removed, so that the engine can fetch a section whole.
//   fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att /
//           "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]

export interface FetchCommandItem {
  /** Upper-cased as written, e.g. `BODY.PEEK[1]<0.2048>`. */
  name: string;
  start: number;
  end: number;
  item: FetchItem;
}

export interface FetchCommand {
  uid: boolean;
  sequenceSet: string;
  items: FetchCommandItem[];
  parenthesized: boolean;
  /** Offsets of the item list: `(` … `)` inclusive, or the single item. */
  listStart: number;
  listEnd: number;
}

/** Items clients ask for all the time, read without making a string each time. */
const KNOWN_ITEMS: readonly string[] = ['UID', 'FLAGS', 'RFC822.SIZE', 'INTERNALDATE', 'ENVELOPE', 'BODYSTRUCTURE', 'BODY.PEEK[]', 'BODY.PEEK[HEADER]', 'BODY.PEEK[TEXT]', 'BODY[]', 'MODSEQ'];

function toItem(line: Buffer, token: { start: number; end: number }): FetchCommandItem {
  const name = upperWord(line, token.start, token.end, KNOWN_ITEMS);
  return { name, start: token.start, end: token.end, item: classifyFetchItem(name) };
}

/** `argsStart` is the offset just after `FETCH `. Returns undefined for anything it cannot read. */
export function parseFetchCommand(line: Buffer, argsStart: number, uid: boolean): FetchCommand | undefined {
  const tokens = new ImapTokenizer(line, argsStart, true);
  const set = tokens.nextAstring();
  if (set.kind !== 'atom' || tokens.next().kind !== 'sp') return undefined;
  const sequenceSet = latin1(line, set.start, set.end);
  const first = tokens.nextFetchAtt();
  if (first.kind === 'fetch-att') {
    // A single item, then the end, SP and modifiers, or a stray `)`; not `(` or DQUOTE.
    const after = tokens.next().kind;
    if (after !== 'sp' && after !== 'close' && after !== 'end') return undefined;
    return { uid, sequenceSet, items: [toItem(line, first)], parenthesized: false, listStart: first.start, listEnd: first.end };
  }
  if (first.kind !== 'open') return undefined;
  const items: FetchCommandItem[] = [];
  let previous: Token['kind'] = first.kind;
  for (;;) {
    const token = tokens.nextFetchAtt();
    if (token.kind === 'close') return { uid, sequenceSet, items, parenthesized: true, listStart: first.start, listEnd: token.end };
    // Items are separated by SP: `BODY[1]X` is not two items.
    if (token.kind === 'fetch-att' && previous !== 'fetch-att') items.push(toItem(line, token));
    else if (token.kind !== 'sp') return undefined;
    previous = token.kind;
  }
}

/**
 * The command line without `dropped` items (their answers come from elsewhere); `UID` stands in when
 * nothing else is left, so the server still answers with the message's sequence number.
 */
export function withoutFetchItems(line: Buffer, command: FetchCommand, dropped: ReadonlySet<FetchCommandItem>): Buffer {
  const kept = command.items.filter((entry) => !dropped.has(entry)).map((entry) => line.toString('latin1', entry.start, entry.end));
  const list = `(${kept.length > 0 ? kept.join(' ') : 'UID'})`;
  return Buffer.concat([line.subarray(0, command.listStart), Buffer.from(list, 'latin1'), line.subarray(command.listEnd)]);
}

/**
 * The command line with the partial ranges of `wholeItems` removed (`BODY.PEEK[]<0.65536>` becomes
 * `BODY.PEEK[]`, PEEK kept as written), the items of `prepend` put first in the list (servers tend
 * to answer in the order asked, so what they carry is known before the client's sections arrive)
 * and, if asked, ` UID` appended.
 */
export function rewriteFetchCommand(
  line: Buffer,
  command: FetchCommand,
  wholeItems: ReadonlySet<FetchCommandItem>,
  addUid: boolean,
  prepend: readonly string[] = [],
): Buffer {
  const wrap = (addUid || prepend.length > 0) && !command.parenthesized;
  const listContentStart = command.parenthesized ? command.listStart + 1 : command.listStart;
  const parts: Buffer[] = [line.subarray(0, listContentStart)];
  if (wrap) parts.push(Buffer.from('(', 'latin1'));
  if (prepend.length > 0) parts.push(Buffer.from(`${prepend.join(' ')} `, 'latin1'));
  let pos = listContentStart;
  for (const entry of command.items) {
    if (!wholeItems.has(entry) || entry.item.kind !== 'body' || entry.item.partialAt === undefined) continue;
    parts.push(line.subarray(pos, entry.start + entry.item.partialAt));
    pos = entry.end;
  }
  const listContentEnd = command.parenthesized ? command.listEnd - 1 : command.listEnd;
  parts.push(line.subarray(pos, listContentEnd));
  if (addUid) parts.push(Buffer.from(' UID', 'latin1'));
  if (wrap) parts.push(Buffer.from(')', 'latin1'));
  parts.push(line.subarray(listContentEnd));
  return Buffer.concat(parts);
}
