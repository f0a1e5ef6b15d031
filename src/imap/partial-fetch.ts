import { rewriteFetchCommand, type FetchCommand, type FetchCommandItem } from './fetch-command.js';
import type { BodySectionItem } from './fetch-item.js';
import { isScannedScope } from './fetch-item.js';
import type { BodyHandle } from './scanned-bodies.js';

// Partial fetches (`BODY.PEEK[]<0.65536>`, `BINARY.PEEK[2]<0.N>`) must not let a client assemble a
// message from unscanned slices. A partial item for a section that has no scanned copy yet is
// fetched whole instead, scanned once, kept in the cache, and the client gets the slice it asked
// for cut from the scanned copy. Later partial fetches of a cached section are forwarded unchanged
// (flags and sequence numbers stay coherent) and their content is replaced by the cached slice.
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
  | { kind: 'unprotected' };

export interface FetchRequest {
  tag: string;
  sections: Map<string, SectionPlan>;
  /** UID was added to a non-UID FETCH; answers carrying rewritten items drop it again. */
  addedUid: boolean;
  /** Cache entries pinned until the command completes. */
  pins: BodyHandle[];
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

export function planFetch(tag: string, line: Buffer, command: FetchCommand, lookupCached: CachedSectionLookup): FetchPlan {
  const request: FetchRequest = { tag, sections: new Map(), addedUid: false, pins: [] };
  const partials: Array<{ entry: FetchCommandItem; item: BodySectionItem }> = [];
  const wholeNames = new Set<string>();
  for (const entry of command.items) {
    const item = entry.item;
    if (item.kind !== 'body' || !isScannedScope(item.scope)) continue;
    if (item.origin === undefined) {
      wholeNames.add(item.responseName);
      request.sections.set(item.responseName, { kind: 'whole' });
    } else {
      partials.push({ entry, item });
    }
  }
  if (partials.length === 0) return { request };

  const names = partials.map((p) => p.item.responseName);
  const conflicting =
    new Set(names).size !== names.length ||
    names.some((n) => wholeNames.has(n)) ||
    partials.some((p) => p.item.length === undefined);
  if (conflicting) {
    for (const p of partials) request.sections.set(partialKey(p.item), { kind: 'unprotected' });
    return { request };
  }

  const singleUid = command.uid && /^[1-9][0-9]{0,9}$/.test(command.sequenceSet) ? Number(command.sequenceSet) : undefined;
  if (singleUid !== undefined) {
    const handles = partials.map((p) => lookupCached(singleUid, p.item.responseName));
    if (handles.every((h): h is BodyHandle => h !== undefined)) {
      partials.forEach((p, i) => {
        const handle = handles[i];
        handle.refs++;
        request.pins.push(handle);
        request.sections.set(partialKey(p.item), {
          kind: 'cached',
          origin: p.item.origin ?? 0,
          length: p.item.length ?? 0,
          handle,
        });
      });
      return { request };
    }
  }

  for (const p of partials) {
    request.sections.set(p.item.responseName, { kind: 'rewritten', origin: p.item.origin ?? 0, length: p.item.length ?? 0 });
  }
  request.addedUid = !command.uid && !command.items.some((e) => e.item.kind === 'uid');
  const rewritten = rewriteFetchCommand(line, command, new Set(partials.map((p) => p.entry)), request.addedUid);
  return { request, rewritten };
}
