import { rewriteFetchCommand, withoutFetchItems, type FetchCommand, type FetchCommandItem } from './fetch-command.js';
import type { BodySectionItem } from './fetch-item.js';
import { isScannedScope } from './fetch-item.js';
import type { BodyHandle } from './scanned-bodies.js';
import { headerKeyOf, headerKeys, headersNeeded } from './section-headers.js';

// Partial fetches (`BODY.PEEK[]<0.65536>`, `BINARY.PEEK[2]<0.N>`) must not let a client assemble a
// message from unscanned slices. A partial item for a section that has no scanned copy yet is
// fetched whole instead, scanned once, kept in the cache, and the client gets the slice it asked
// for cut from the scanned copy. Later partial fetches of a cached section are forwarded unchanged
// without those items (BODY.PEEK only: a non-PEEK fetch must still reach the server to set \Seen, and
// its content is replaced by the cached slice); the engine adds the slices to the server's answer.
//
// The same rewriting adds what the scan needs and the client did not ask for: `UID` (every decision
// names its message) and the header sections of headersNeeded (section-headers.ts). Answers drop
// them again, so the client sees exactly the response it asked for.
//
// What the engine must do with each body item of the responses is recorded per command, keyed by
// the name the server will use in its answer: `BODY[]` for whole answers, `BODY[]<0>` for partial.

export type SectionPlan =
  /** Answered whole, scanned as usual. */
  | { kind: 'whole' }
  /** Rewritten to a whole fetch: scan, cache, answer the client with `<origin>` and the slice. */
  | { kind: 'rewritten'; origin: number; length: number }
  /** Forwarded as is; the server's partial content is replaced by this cached scanned copy. */
  | { kind: 'cached'; origin: number; length: number; handle: BodyHandle }
  /** Could not be protected (conflicting items); passes unscanned, reported as such. */
  | { kind: 'unprotected' }
  /** A header section the engine added for the scan; kept from the client. */
  | { kind: 'added' }
  /** A header section the client asked for: passed on; its answer tells which command a response answers. */
  | { kind: 'asked' };

export interface FetchRequest {
  tag: string;
  sections: Map<string, SectionPlan>;
  /** UID was added to a non-UID FETCH; answers carrying the sections it asked for drop it again. */
  addedUid: boolean;
  /** Cache entries pinned until the command completes. */
  pins: BodyHandle[];
  /** Section answers already matched to this command (section key and sequence number). */
  answered: Set<string>;
  /**
   * Slices served from scanned copies that were taken out of the upstream command: they are added to
   * the server's answer for this UID (once).
   */
  injected?: { uid: number; items: InjectedSlice[]; served: boolean };
}

export interface InjectedSlice {
  /** As the answer names it, e.g. `BODY[]<65536>`. */
  name: string;
  origin: number;
  length: number;
  binary: boolean;
  handle: BodyHandle;
}

export interface FetchPlan {
  request: FetchRequest;
  /** The command to send instead, if it was rewritten. */
  rewritten?: Buffer;
}

export type CachedSectionLookup = (uid: number, responseName: string) => BodyHandle | undefined;

function partialKey(item: BodySectionItem): string {
  return `${item.responseName}<${item.origin}>`;
}

// Shared by the plans of commands without a scanned section (FLAGS, UID, ENVELOPE …), the commonest:
// nothing is ever added to them (claimSection finds no section to answer; only a plan that has
// sections pins or records anything, and each of those makes its own). Writing to one throws.
const NO_SECTIONS: Map<string, SectionPlan> = unwritable(new Map(), ['set', 'delete', 'clear']);
const NO_ANSWERS: Set<string> = unwritable(new Set(), ['add', 'delete', 'clear']);
const NO_PINS: BodyHandle[] = Object.freeze([]) as unknown as BodyHandle[];

function unwritable<T extends object>(empty: T, writers: string[]): T {
  for (const name of writers) {
    Object.defineProperty(empty, name, {
      value: () => {
        throw new TypeError('the shared plan of a FETCH without sections is never written to');
      },
    });
  }
  return Object.freeze(empty);
}

function hasScannedSection(command: FetchCommand): boolean {
  for (const entry of command.items) if (entry.item.kind === 'body' && isScannedScope(entry.item.scope)) return true;
  return false;
}

export function planFetch(tag: string, line: Buffer, command: FetchCommand, lookupSection: CachedSectionLookup): FetchPlan {
  // Without a scanned section (FLAGS, UID, RFC822.SIZE, ENVELOPE …) there is nothing to plan or look up.
  if (!hasScannedSection(command)) return { request: { tag, sections: NO_SECTIONS, addedUid: false, pins: NO_PINS, answered: NO_ANSWERS } };
  // Each section is looked up once per command, whichever way below asks for it: a lookup may adopt a
  // copy from the account's store, and a miss asks the store each time.
  const lookupCached = lookupOnce(lookupSection);
  const served = servedFromCache(tag, line, command, lookupCached);
  if (served) return served;
  const request: FetchRequest = { tag, sections: new Map(), addedUid: false, pins: [], answered: new Set() };
  const partials: Array<{ entry: FetchCommandItem; item: BodySectionItem }> = [];
  const wholeNames = new Set<string>();
  const scanned: BodySectionItem[] = [];
  for (const entry of command.items) {
    const item = entry.item;
    if (item.kind !== 'body' || !isScannedScope(item.scope)) continue;
    if (item.origin === undefined) {
      wholeNames.add(item.responseName);
      request.sections.set(item.responseName, { kind: 'whole' });
      scanned.push(item);
    } else {
      partials.push({ entry, item });
    }
  }
  const madeWhole = new Set<FetchCommandItem>();
  if (partials.length > 0) {
    const names = partials.map((p) => p.item.responseName);
    const conflicting =
      new Set(names).size !== names.length ||
      names.some((n) => wholeNames.has(n)) ||
      partials.some((p) => p.item.length === undefined);
    if (conflicting) {
      for (const p of partials) request.sections.set(partialKey(p.item), { kind: 'unprotected' });
    } else if (!answeredFromCache(request, command, partials, lookupCached)) {
      for (const p of partials) {
        request.sections.set(p.item.responseName, { kind: 'rewritten', origin: p.item.origin ?? 0, length: p.item.length ?? 0 });
        madeWhole.add(p.entry);
        scanned.push(p.item);
      }
    }
  }
  if (scanned.length === 0) return { request };

  const prepend = headersToAdd(command, scanned);
  for (const spec of prepend) request.sections.set(`BODY[${spec}]`, { kind: 'added' });
  request.addedUid = !command.uid && !command.items.some((e) => e.item.kind === 'uid');
  if (request.addedUid) {
    // The UID comes early in an answer (Dovecot: first); whichever section follows it must show
    // that the answer is this command's, so that the UID can be dropped right there.
    for (const entry of command.items) {
      const item = entry.item;
      if (item.kind !== 'body' || isScannedScope(item.scope)) continue;
      const key = item.origin === undefined ? item.responseName : partialKey(item);
      if (!request.sections.has(key)) request.sections.set(key, { kind: 'asked' });
    }
  }
  if (prepend.length === 0 && !request.addedUid && madeWhole.size === 0) return { request };
  const items = prepend.map((spec) => `BODY.PEEK[${spec}]`);
  return { request, rewritten: rewriteFetchCommand(line, command, madeWhole, request.addedUid, items) };
}

/**
 * The plan for one answer of this command, or undefined if the command did not ask for the section
 * or already had it answered for that message: pipelined commands fetching the same section of the
 * same message (`<0.1024>`, `<1024.1024>` …) are answered in command order, one answer each.
 */
export function claimSection(request: FetchRequest, key: string, seq: number): SectionPlan | undefined {
  const plan = request.sections.get(key);
  if (!plan) return undefined;
  const answer = `${key}\u0000${seq}`;
  if (request.answered.has(answer)) return undefined;
  request.answered.add(answer);
  return plan;
}

/**
 * Partial items of a single UID that all have a scanned copy, in a command not answered from the copies
 * alone (servedFromCache): the server is asked as the client asked, and the content of its answer is
 * replaced by the cached slice.
 */
function answeredFromCache(
  request: FetchRequest,
  command: FetchCommand,
  partials: Array<{ entry: FetchCommandItem; item: BodySectionItem }>,
  lookupCached: CachedSectionLookup,
): boolean {
  const singleUid = singleUidOf(command);
  if (singleUid === undefined) return false;
  const handles = partials.map((p) => lookupCached(singleUid, p.item.responseName));
  if (!handles.every((h): h is BodyHandle => h !== undefined)) return false;
  partials.forEach((p, i) => {
    const handle = handles[i];
    handle.refs++;
    request.pins.push(handle);
    request.sections.set(partialKey(p.item), { kind: 'cached', origin: p.item.origin ?? 0, length: p.item.length ?? 0, handle });
  });
  return true;
}

function lookupOnce(lookup: CachedSectionLookup): CachedSectionLookup {
  const found = new Map<string, BodyHandle | undefined>();
  return (uid, section) => {
    const key = `${uid}\u0000${section}`;
    if (!found.has(key)) found.set(key, lookup(uid, section));
    return found.get(key);
  };
}

function singleUidOf(command: FetchCommand): number | undefined {
  return command.uid && /^[1-9][0-9]{0,9}$/.test(command.sequenceSet) ? Number(command.sequenceSet) : undefined;
}

type SectionEntry = FetchCommandItem & { item: BodySectionItem };

/**
 * A UID FETCH of one message whose every scanned section, whole (`BODY.PEEK[]`) or partial
 * (`BODY.PEEK[]<0.65536>`), has a scanned copy (this session's, or one another session of the account
 * kept): the sections leave the upstream command and are added to the answer from the copies (the
 * server still answers for the UID, with whatever else the command asks, so sequence numbers and flags
 * stay the server's). PEEK only: a fetch that sets \Seen must reach the server.
 */
function servedFromCache(tag: string, line: Buffer, command: FetchCommand, lookupCached: CachedSectionLookup): FetchPlan | undefined {
  const uid = singleUidOf(command);
  const sections = command.items.filter((entry): entry is SectionEntry => entry.item.kind === 'body' && isScannedScope(entry.item.scope));
  if (uid === undefined || sections.length === 0) return undefined;
  const names = sections.map((entry) => entry.item.responseName);
  const plain = new Set(names).size === names.length && sections.every((entry) => entry.item.peek && (entry.item.origin === undefined || entry.item.length !== undefined));
  if (!plain) return undefined;
  const handles: BodyHandle[] = [];
  for (const entry of sections) {
    const handle = lookupCached(uid, entry.item.responseName);
    if (!handle) return undefined;
    handles.push(handle);
  }
  const request: FetchRequest = { tag, sections: new Map(), addedUid: false, pins: [], answered: new Set() };
  const items = sections.map((entry, i): InjectedSlice => {
    const handle = handles[i];
    handle.refs++;
    request.pins.push(handle);
    const { item } = entry;
    const name = item.origin === undefined ? item.responseName : partialKey(item);
    return { name, origin: item.origin ?? 0, length: item.length ?? Number.POSITIVE_INFINITY, binary: handle.literal8 ?? item.binary, handle };
  });
  request.injected = { uid, items, served: false };
  return { request, rewritten: withoutFetchItems(line, command, new Set(sections)) };
}

/** Section specs of the header sections the scanned items need and the command does not fetch whole. */
function headersToAdd(command: FetchCommand, scanned: readonly BodySectionItem[]): string[] {
  const fetched = new Set<string>();
  for (const entry of command.items) {
    const key = entry.item.kind === 'body' ? headerKeyOf(entry.item) : undefined;
    if (key !== undefined) fetched.add(key);
  }
  const needed = new Set(scanned.flatMap((item) => headerKeys(headersNeeded(item))));
  return [...needed].filter((key) => !fetched.has(key));
}
