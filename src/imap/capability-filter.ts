import { LBRACKET, STAR } from './ascii.js';

// Removes capabilities the proxy cannot pass on from capability lists: COMPRESS=… (RFC 4978)
// would turn the rest of the session into a deflate stream the engine cannot read. Lists appear in
// `* CAPABILITY …` and in `[CAPABILITY …]` response codes (greeting, PREAUTH, tagged OK after login).

export interface FilteredCapabilities {
  /** The same Buffer when nothing was removed. */
  line: Buffer;
  removed: readonly string[];
}

function isBlocked(capability: string): boolean {
  return /^COMPRESS=/i.test(capability);
}

/** Start and end (exclusive) of the capability list in the line, or undefined if there is none. */
function capabilityListRange(text: string): [number, number] | undefined {
  const untagged = /^\* CAPABILITY /i.exec(text);
  if (untagged) {
    let end = text.length;
    while (end > 0 && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
    return [untagged[0].length, end];
  }
  const code = /\[CAPABILITY /i.exec(text);
  if (!code) return undefined;
  const start = code.index + code[0].length;
  const end = text.indexOf(']', start);
  return end < 0 ? undefined : [start, end];
}

const EQUALS = 0x3d;
const NOTHING_REMOVED: readonly string[] = Object.freeze([]);

/** False when the line cannot list a capability to remove (no `=`, so no COMPRESS=…): most lines. */
export function mayListBlockedCapabilities(line: Buffer): boolean {
  return line.indexOf(EQUALS) >= 0;
}

export function filterCapabilities(line: Buffer): FilteredCapabilities {
  // Most lines are never turned into text.
  if (!mayListBlockedCapabilities(line)) return { line, removed: NOTHING_REMOVED };
  const text = line.toString('latin1');
  if (!/COMPRESS=/i.test(text)) return { line, removed: [] };
  const range = capabilityListRange(text);
  if (!range) return { line, removed: [] };
  const [start, end] = range;
  const list = text.slice(start, end);
  const tokens = list.split(' ');
  const removed = tokens.filter((t) => t !== '' && isBlocked(t));
  if (removed.length === 0) return { line, removed };
  const kept = tokens.filter((t) => t === '' || !isBlocked(t));
  // Dropping a token together with one separating space keeps every other byte as it was.
  const rebuilt = kept.join(' ');
  return { line: Buffer.from(text.slice(0, start) + rebuilt + text.slice(end), 'latin1'), removed };
}

/**
 * Every session to one server announces the same lists, so sessions share one set per distinct list
 * (a few KiB each, which idle sessions would otherwise hold once apiece). Bounded: a server that
 * varies its lists only fills the cache up and is then read uncached.
 */
const SHARED_LISTS_MAX = 64;
const sharedLists = new Map<string, ReadonlySet<string>>();

/** The capabilities a line announces (`* CAPABILITY …` or a `[CAPABILITY …]` code), upper-cased; undefined when it announces none. */
export function announcedCapabilities(line: Buffer): ReadonlySet<string> | undefined {
  // Only `* CAPABILITY …` announces a list without a `[CAPABILITY …]` code.
  if (line.indexOf(LBRACKET) < 0 && line[0] !== STAR) return undefined;
  const text = line.toString('latin1');
  const range = capabilityListRange(text);
  if (!range) return undefined;
  const list = text.slice(range[0], range[1]);
  const shared = sharedLists.get(list);
  if (shared) return shared;
  const set: ReadonlySet<string> = new Set(list.split(' ').filter((token) => token !== '').map((token) => token.toUpperCase()));
  // The key is flattened so the cache does not keep the whole response line alive through a slice.
  if (sharedLists.size < SHARED_LISTS_MAX) sharedLists.set(Buffer.from(list, 'latin1').toString('latin1'), set);
  return set;
}
