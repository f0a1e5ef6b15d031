import { DQUOTE, LBRACKET, LPAREN, RBRACKET, RPAREN, SP, CR, LF, GT, LT, quotedEnd, wordEnd, lineEndStart } from './ascii.js';
import { classifyFetchItem, type FetchItem } from './fetch-item.js';

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

/** End of one fetch-att starting at pos, or -1. */
function itemEnd(line: Buffer, pos: number, limit: number): number {
  let i = pos;
  while (i < limit) {
    const byte = line[i];
    if (byte === SP || byte === RPAREN || byte === CR || byte === LF) break;
    if (byte === LBRACKET) {
      i++;
      while (i < limit && line[i] !== RBRACKET) {
        if (line[i] === DQUOTE) {
          const end = quotedEnd(line, i, limit);
          if (end < 0) return -1;
          i = end;
        } else {
          i++;
        }
      }
      if (i >= limit) return -1;
      i++;
      if (i < limit && line[i] === LT) {
        const gt = line.indexOf(GT, i);
        if (gt < 0 || gt >= limit) return -1;
        i = gt + 1;
      }
      continue;
    }
    if (byte === LPAREN || byte === DQUOTE) return -1;
    i++;
  }
  return i === pos ? -1 : i;
}

function readItem(line: Buffer, start: number, limit: number): FetchCommandItem | undefined {
  const end = itemEnd(line, start, limit);
  if (end < 0) return undefined;
  const name = line.toString('latin1', start, end).toUpperCase();
  return { name, start, end, item: classifyFetchItem(name) };
}

/** `argsStart` is the offset just after `FETCH `. Returns undefined for anything it cannot read. */
export function parseFetchCommand(line: Buffer, argsStart: number, uid: boolean): FetchCommand | undefined {
  const limit = lineEndStart(line);
  const setEnd = wordEnd(line, argsStart);
  if (setEnd === argsStart || setEnd >= limit || line[setEnd] !== SP) return undefined;
  const sequenceSet = line.toString('latin1', argsStart, setEnd);
  const listStart = setEnd + 1;
  if (line[listStart] !== LPAREN) {
    const single = readItem(line, listStart, limit);
    if (!single) return undefined;
    return { uid, sequenceSet, items: [single], parenthesized: false, listStart, listEnd: single.end };
  }
  const items: FetchCommandItem[] = [];
  let i = listStart + 1;
  for (;;) {
    if (i >= limit) return undefined;
    if (line[i] === RPAREN) break;
    if (line[i] === SP) {
      i++;
      continue;
    }
    const item = readItem(line, i, limit);
    if (!item) return undefined;
    items.push(item);
    i = item.end;
  }
  return { uid, sequenceSet, items, parenthesized: true, listStart, listEnd: i + 1 };
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
