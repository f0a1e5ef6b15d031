import type { BodyContext, EngineOptions, EngineOutput, ProxyEvent } from '../protocol/engine.js';
import { CRLF, SP, parseDecimal, unquote } from './ascii.js';
import { CachedSliceSlot, PendingBody, SizeSlot, sliceRange, type Slice } from './body-slots.js';
import { HeldResponse, type ClientQueue, type Deferred } from './client-queue.js';
import { classifyFetchItem, isRawWholeMessage, isScannedScope, type BodySectionItem, type FetchItem } from './fetch-item.js';
import { FetchResponseParser, type ItemValue, type ParsedFetchItem } from './fetch-response-parser.js';
import { literalAtLineEnd, literalHeaderBytes } from './literal-header.js';
import type { FetchRequest, InjectedSlice, SectionPlan } from './partial-fetch.js';
import type { BodyHandle, ScannedBodies } from './scanned-bodies.js';
import { BodyEnding } from './body-ending.js';
import { headerKeyOf } from './section-headers.js';
import { messageKeyIn, sectionKeyIn, type MailboxPlace, type SessionState } from './session-state.js';

// One `* n FETCH (…)` response on its way to the client, solicited or not. Each body item is
// looked at on its own: scanned sections are streamed to the session (bodyBegin/bodyData/bodyEnd)
// and their place in the response is held until the verdict; everything else is copied through.
// The response is held from its first byte while any of its pieces is pending, so the client sees
// either nothing of it or all of it in order.
//
// UID may follow the body (`BODY[] {n} … UID 7)`): the rest of the response is held anyway, so
// the UID is known before the scanned body is cached or its size change recorded.
//
// Header sections (`BODY[HEADER]`, `BODY[2.MIME]`) are kept for the scan of the response's other
// sections (body-ending.ts); those the engine added to the command (partial-fetch.ts), and the UID
// it added, are cut out with their separating space.

export interface FetchEnvironment {
  readonly options: EngineOptions;
  readonly queue: ClientQueue;
  readonly session: SessionState;
  readonly bodies: ScannedBodies;
  emit(out: EngineOutput): void;
  /** For the log; the engine adds the listener name. */
  event(event: ProxyEvent): void;
  /**
   * The oldest outstanding FETCH command that asked for a section answered under this name and has
   * not had it answered for this message yet; the answer is then counted as given.
   */
  findSection(responseKey: string, seq: number): { request: FetchRequest; plan: SectionPlan } | undefined;
  /** Registers a body the session will answer with scanned(). */
  bodyStarted(body: PendingBody, response: FetchResponse): void;
  /** Slices a command asked for that the engine serves itself, to add to the answer for this UID (once). */
  takeInjection(uid: number): FetchRequest['injected'];
  /** The selected mailbox, unless it is not known or a command that changes it is under way. */
  place(): MailboxPlace | undefined;
}

type LiteralPlan =
  | { kind: 'pass' }
  | { kind: 'body'; body: PendingBody }
  | { kind: 'discard' }
  /** Pass only bytes [skip, skip + take) of the literal. */
  | { kind: 'slice'; skip: number; take: number; seen: number }
  /** A header section: kept for the scan, passed on unless the engine added it. */
  | { kind: 'capture'; key: string; forward: boolean; chunks: Buffer[]; size: number };

/** Header sections larger than this are passed on but not kept (the scan then goes without). */
const MAX_HEADER_BYTES = 256 * 1024;
const NOTHING = Buffer.alloc(0);

interface Edit {
  start: number;
  end: number;
  piece: Buffer | Deferred;
}

const PASS: LiteralPlan = { kind: 'pass' };
const NO_BODIES: readonly PendingBody[] = Object.freeze([]);

/** Key under which a body item of a response is planned (partial-fetch.ts). */
function planKey(kind: BodySectionItem): string {
  return kind.origin === undefined ? kind.responseName : `${kind.responseName}<${kind.origin}>`;
}

/** The kind of a response item; undefined for names the parser did not read (FLAGS, ENVELOPE …). */
function kindOf(item: ParsedFetchItem): FetchItem | undefined {
  return item.name === '' ? undefined : classifyFetchItem(item.name);
}

type FoundSection = { request: FetchRequest; plan: SectionPlan };

/** Small pieces kept until a verdict are copied, so they do not pin the whole input chunk. */
function copy(seg: Buffer, start: number, end: number): Buffer {
  return Buffer.from(seg.subarray(start, end));
}

export class FetchResponse {
  uid: number | undefined;
  ended = false;
  /** The engine added UID to the command this answers; drop it from the answer. */
  stripUid = false;
  /** Some item of the response went to the client, so a later one needs its separating space. */
  private keptAny = false;
  /** Made for the first header section or body (most responses, FLAGS and the like, have neither). */
  private bodyEnding: BodyEnding | undefined;
  private holdMarker: HeldResponse | undefined;
  private readonly parser = new FetchResponseParser();
  private first = true;
  private opaque = false;
  private literal: LiteralPlan | undefined;
  private bodies: PendingBody[] | undefined;
  private sizeSlots: SizeSlot[] | undefined;
  /**
   * The mailbox this response is about, taken when its first body or size item is read: a SELECT
   * pipelined behind the FETCH may complete before the body's scan, and must not re-key it. Null: not known.
   */
  private where: MailboxPlace | null | undefined;

  constructor(
    private readonly env: FetchEnvironment,
    readonly seq: number,
    private readonly listStart: number,
  ) {}

  private get ending(): BodyEnding {
    this.bodyEnding ??= new BodyEnding(
      () => this.uid,
      (body, late) => this.endBody(body, late),
    );
    return this.bodyEnding;
  }

  private get hold(): HeldResponse {
    return (this.holdMarker ??= new HeldResponse());
  }

  /** A segment of the response; returns the length of the literal that follows, or -1. */
  segment(seg: Buffer): number {
    const queue = this.env.queue;
    if (this.opaque) return this.opaqueSegment(seg);
    const first = this.first;
    this.first = false;
    const result = this.parser.parseSegment(seg, first ? this.listStart : 0);
    if (result.malformed) {
      if (first) queue.startResponse(this.hold);
      this.opaque = true;
      this.env.event({ type: 'imap-parse-error', protocol: 'imap', seq: this.seq, detail: 'unreadable FETCH response passed through' });
      return this.opaqueSegment(seg);
    }

    const items = result.items;
    const hadUid = this.uid !== undefined;
    let wholeBodyHere = false;
    // Body items are classified and matched to their command once, before any item is edited (a match
    // counts the answer as given); the arrays exist only for a response that has one (not FLAGS).
    let bodyKinds: (BodySectionItem | undefined)[] | undefined;
    let found: (FoundSection | undefined)[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const kind = kindOf(item);
      if (kind?.kind === 'uid' && item.value?.form === 'atom') this.uid = parseDecimal(seg, item.value.start, item.value.end);
      else if (kind?.kind === 'body') {
        this.notePlace();
        (bodyKinds ??= new Array<BodySectionItem | undefined>(items.length))[i] = kind;
        const section = ((found ??= new Array<FoundSection | undefined>(items.length))[i] = this.env.findSection(planKey(kind), this.seq));
        if (kind.origin === undefined && isRawWholeMessage(kind)) wholeBodyHere = true;
        // The UID goes only if this answers a command the engine added it to (not an unsolicited FETCH).
        if (section?.request.addedUid) this.stripUid = true;
      }
    }

    let edits: Edit[] | undefined;
    let plan: LiteralPlan = PASS;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const kind = bodyKinds?.[i] ?? kindOf(item);
      let drop = false;
      if (kind?.kind === 'uid') {
        drop = this.stripUid && item.value?.form === 'atom';
      } else if (kind?.kind === 'size') {
        if (item.value?.form === 'atom' && (this.env.session.hasSizeChanges || wholeBodyHere)) {
          this.notePlace();
          (edits ??= []).push(this.sizeEdit(seg, item.value));
        }
      } else if (kind?.kind === 'body' && item.value) {
        const headerKey = headerKeyOf(kind);
        if (headerKey !== undefined) {
          drop = found?.[i]?.plan.kind === 'added';
          plan = this.captureHeader(seg, headerKey, item.value, !drop) ?? plan;
        } else if (isScannedScope(kind.scope)) {
          plan = this.planBody(seg, item, kind, item.value, found?.[i], (edits ??= [])) ?? plan;
        }
      }
      const gap = this.separate(seg, item, drop);
      if (gap !== undefined) (edits ??= []).push(gap);
    }
    if (!result.directLiteral) plan = PASS;
    if (result.complete && this.uid !== undefined) {
      const injection = this.env.takeInjection(this.uid);
      if (injection) this.inject(seg, injection.items, (edits ??= []));
    }
    this.emitSegment(seg, edits, first);

    if (!hadUid && this.uid !== undefined) this.uidKnown();
    if (result.directLiteral || result.nestedLiteral) {
      if (plan.kind === 'pass' || plan.kind === 'slice' || (plan.kind === 'capture' && plan.forward)) this.beforeStreaming();
      this.literal = plan;
      queue.flush();
      return result.nestedLiteral?.size ?? this.literalSize(result.items);
    }
    if (result.complete) this.finish();
    queue.flush();
    return -1;
  }

  /** Copies the segment to the queue with the edits applied. */
  private emitSegment(seg: Buffer, edits: Edit[] | undefined, first: boolean): void {
    const queue = this.env.queue;
    if (first && (!queue.idle || (edits !== undefined && edits.some((edit) => !Buffer.isBuffer(edit.piece))))) {
      // Something in it may wait for a verdict: hold the response from its first byte.
      queue.startResponse(this.hold);
    }
    if (edits === undefined || edits.length === 0) {
      queue.bytes(seg);
      return;
    }
    if (edits.length > 1) edits.sort((a, b) => a.start - b.start);
    let pos = 0;
    for (const edit of edits) {
      queue.bytes(seg.subarray(pos, edit.start));
      if (Buffer.isBuffer(edit.piece)) queue.bytes(edit.piece);
      else queue.deferred(edit.piece, this.hold);
      pos = edit.end;
    }
    queue.bytes(seg.subarray(pos));
  }

  literalData(chunk: Buffer): void {
    const plan = this.literal;
    if (!plan) return;
    switch (plan.kind) {
      case 'pass':
        this.env.queue.bytes(chunk);
        break;
      case 'body':
        this.env.emit({ kind: 'bodyData', bodyId: plan.body.handle.id, bytes: chunk });
        break;
      case 'discard':
        break;
      case 'capture':
        if (plan.forward) this.env.queue.bytes(chunk);
        if (plan.size <= MAX_HEADER_BYTES) plan.chunks.push(Buffer.from(chunk));
        plan.size += chunk.length;
        break;
      case 'slice': {
        const from = Math.max(plan.skip - plan.seen, 0);
        const to = Math.min(plan.skip + plan.take - plan.seen, chunk.length);
        if (to > from) this.env.queue.bytes(chunk.subarray(from, to));
        plan.seen += chunk.length;
        break;
      }
    }
  }

  literalEnd(): void {
    const plan = this.literal;
    this.literal = undefined;
    if (plan?.kind === 'capture') {
      if (plan.size <= MAX_HEADER_BYTES) this.ending.headerKnown(plan.key, Buffer.concat(plan.chunks));
      return;
    }
    if (plan?.kind !== 'body') return;
    this.ending.contentDone(plan.body, this.ended);
  }

  private endBody(body: PendingBody, late: Partial<BodyContext> | undefined): void {
    body.complete = true;
    this.env.emit(late ? { kind: 'bodyEnd', bodyId: body.handle.id, context: late } : { kind: 'bodyEnd', bodyId: body.handle.id });
    if (body.outcome) this.scanned(body);
  }

  /** The session finished scanning one of this response's bodies (after its bodyEnd). */
  scanned(body: PendingBody): void {
    this.tryFinalize(body);
    body.slot.resolve();
  }

  /** The server connection ended in the middle of this response. */
  abort(): void {
    const plan = this.literal;
    this.literal = undefined;
    if (plan?.kind === 'body') {
      const body = plan.body;
      body.abandoned = true;
      body.finalized = true;
      this.env.bodies.unref(body.handle);
      body.slot.resolve();
    }
    this.ended = true;
    // Bodies received whole are still scanned and delivered, with whatever context there is.
    this.bodyEnding?.release(true);
    this.resolveSizeSlots();
    this.env.queue.flush();
  }

  private literalSize(items: ParsedFetchItem[]): number {
    const last = items[items.length - 1];
    return last?.value?.form === 'literal' ? last.value.size : 0;
  }

  private opaqueSegment(seg: Buffer): number {
    const queue = this.env.queue;
    queue.bytes(seg);
    const literal = literalAtLineEnd(seg, false);
    if (literal) {
      this.beforeStreaming();
      this.literal = PASS;
      queue.flush();
      return literal.size;
    }
    this.finish();
    queue.flush();
    return -1;
  }

  private finish(): void {
    this.ended = true;
    this.bodyEnding?.release(true);
    this.tryFinalizeAll();
    this.resolveSizeSlots();
  }

  private uidKnown(): void {
    this.bodyEnding?.release(false);
    this.tryFinalizeAll();
    this.resolveSizeSlots();
  }

  // Indexed loops: iterating an absent list through a shared empty one made an iterator per response.
  private tryFinalizeAll(): void {
    const bodies = this.bodies;
    if (bodies !== undefined) for (let i = 0; i < bodies.length; i++) this.tryFinalize(bodies[i]);
  }

  private resolveSizeSlots(): void {
    const slots = this.sizeSlots;
    if (slots !== undefined) for (let i = 0; i < slots.length; i++) slots[i].resolve();
  }

  /**
   * Literal content that is not intercepted must stream. If only rewritten sizes wait for a UID
   * that has not come yet, give up on them rather than hold the literal.
   */
  private beforeStreaming(): void {
    if ((this.bodies ?? NO_BODIES).every((b) => b.slot.ready)) this.resolveSizeSlots();
  }

  /** Once scanned and the UID is settled: remember size changes and cache partial-fetch bodies. */
  private tryFinalize(body: PendingBody): void {
    if (body.finalized || !body.outcome) return;
    if (this.uid === undefined && !this.ended) return;
    body.finalized = true;
    const outcome = body.outcome;
    const session = this.env.session;
    if (isRawWholeMessage(body.item) && outcome.changed && outcome.size !== body.declaredSize) {
      const key = messageKeyIn(this.place, this.uid);
      if (key !== undefined) session.recordSize(key, outcome.size);
      const event: ProxyEvent = {
        type: 'body-size-changed',
        protocol: 'imap',
        section: body.item.responseName,
        from: body.declaredSize,
        to: outcome.size,
      };
      if (this.place?.mailbox !== undefined) event.mailbox = this.place.mailbox;
      if (this.place?.uidValidity !== undefined) event.uidValidity = this.place.uidValidity;
      if (this.uid !== undefined) event.uid = this.uid;
      this.env.event(event);
    }
    // Keyed only for what keeps it: a clean record, a copy for partial fetches.
    const key = outcome.clean || body.slice ? sectionKeyIn(this.place, this.uid, body.item.responseName) : undefined;
    if (key !== undefined && outcome.clean) this.env.bodies.rememberClean(key, outcome.size, body.epoch);
    if (body.slice) {
      body.handle.literal8 = body.framing.kind === 'literal' && body.framing.binary;
      if (key !== undefined) this.env.bodies.insert(key, body.handle, body.epoch);
    }
    this.env.bodies.unref(body.handle);
  }

  private notePlace(): void {
    if (this.where === undefined) this.where = this.env.place() ?? null;
  }

  /** The mailbox of this response (taken with its first body or size item), or the selected one. */
  private get place(): MailboxPlace | undefined {
    return this.where === undefined ? this.env.session : (this.where ?? undefined);
  }

  private currentSize(): number | undefined {
    return this.env.session.sizeFor(messageKeyIn(this.place, this.uid));
  }

  private sizeEdit(seg: Buffer, value: ItemValue): Edit {
    const ready = this.uid !== undefined;
    const slot = new SizeSlot(copy(seg, value.start, value.end), () => this.currentSize(), ready);
    if (!ready) (this.sizeSlots ??= []).push(slot);
    return { start: value.start, end: value.end, piece: slot };
  }

  /**
   * An item the client did not ask for goes with one separating space: the one before it, or, when
   * nothing before it was kept (`(UID 1 BODY[2] …` → `(BODY[2] …`), the one before the next kept item.
   * Returns that cut, when `item` is dropped or is the first one kept and a space precedes it.
   */
  private separate(seg: Buffer, item: ParsedFetchItem, drop: boolean): Edit | undefined {
    const spaceBefore = item.nameStart > 0 && seg[item.nameStart - 1] === SP;
    if (drop) {
      const end = item.value?.end ?? item.nameEnd;
      return { start: spaceBefore ? item.nameStart - 1 : item.nameStart, end, piece: NOTHING };
    }
    const keptFirst = !this.keptAny;
    this.keptAny = true;
    return keptFirst && spaceBefore ? { start: item.nameStart - 1, end: item.nameStart, piece: NOTHING } : undefined;
  }

  /** Keeps a header section for the scan of this response's bodies. */
  private captureHeader(seg: Buffer, key: string, value: ItemValue, forward: boolean): LiteralPlan | undefined {
    if (value.form === 'literal') return { kind: 'capture', key, forward, chunks: [], size: 0 };
    if (value.form === 'quoted') this.ending.headerKnown(key, unquote(seg, value.start, value.end));
    return undefined;
  }

  private planBody(
    seg: Buffer,
    item: ParsedFetchItem,
    kind: BodySectionItem,
    value: ItemValue,
    found: { request: FetchRequest; plan: SectionPlan } | undefined,
    edits: Edit[],
  ): LiteralPlan | undefined {
    if (kind.origin !== undefined) {
      if (found?.plan.kind === 'cached') {
        return this.serveCached(seg, value, found.plan.handle, found.plan, edits);
      }
      this.reportUnscanned(kind, 'partial-fetch', value.form === 'literal' ? value.size : undefined);
      return undefined;
    }
    if (found?.plan.kind === 'rewritten') {
      const slice: Slice = { origin: found.plan.origin, length: found.plan.length };
      edits.push({ start: item.nameEnd, end: item.nameEnd, piece: Buffer.from(`<${slice.origin}>`, 'latin1') });
      if (value.form === 'atom' || value.form === 'list') return undefined;
      const key = sectionKeyIn(this.place, this.uid, kind.responseName);
      const cached = key === undefined ? undefined : this.env.bodies.lookup(key);
      if (cached) return this.serveCached(seg, value, cached, slice, edits);
      if (value.form === 'literal' && value.size > this.env.options.maxScanBytes) {
        this.reportUnscanned(kind, 'too-large', value.size);
        const [start, end] = sliceRange(slice, value.size);
        const header = literalHeaderBytes(end - start, value.binary, seg.subarray(value.headerEnd));
        edits.push({ start: value.start, end: value.end, piece: header });
        return { kind: 'slice', skip: start, take: end - start, seen: 0 };
      }
      return this.intercept(seg, kind, value, slice, edits);
    }
    if (value.form === 'atom' || value.form === 'list') return undefined;
    if (value.form === 'literal' && value.size > this.env.options.maxScanBytes) {
      this.reportUnscanned(kind, 'too-large', value.size);
      return PASS;
    }
    // Found clean before at this size: the server's bytes go on as they come, with no second scan.
    if (value.form === 'literal' && this.knownClean(kind, value.size)) return PASS;
    return this.intercept(seg, kind, value, undefined, edits);
  }

  private knownClean(kind: BodySectionItem, size: number): boolean {
    const key = sectionKeyIn(this.place, this.uid, kind.responseName);
    return key !== undefined && this.env.bodies.knownClean(key, size);
  }

  /** Adds slices served from scanned copies before the answer's closing parenthesis. */
  private inject(seg: Buffer, items: InjectedSlice[], edits: Edit[]): void {
    const close = seg.lastIndexOf(0x29);
    if (close < 0) return;
    for (const item of items) {
      edits.push({ start: close, end: close, piece: Buffer.from(`${this.keptAny ? ' ' : ''}${item.name} `, 'latin1') });
      edits.push({ start: close, end: close, piece: new CachedSliceSlot(item.handle, item, item.binary, CRLF, this.env.bodies) });
      this.keptAny = true;
    }
  }

  private serveCached(seg: Buffer, value: ItemValue, handle: BodyHandle, slice: Slice, edits: Edit[]): LiteralPlan | undefined {
    if (value.form === 'atom' || value.form === 'list') return undefined;
    const binary = value.form === 'literal' && value.binary;
    const terminator = value.form === 'literal' ? copy(seg, value.headerEnd, seg.length) : CRLF;
    const piece = new CachedSliceSlot(handle, slice, binary, terminator, this.env.bodies);
    edits.push({ start: value.start, end: value.end, piece });
    return value.form === 'literal' ? { kind: 'discard' } : undefined;
  }

  private intercept(seg: Buffer, kind: BodySectionItem, value: ItemValue, slice: Slice | undefined, edits: Edit[]): LiteralPlan | undefined {
    const env = this.env;
    // Two references: the queued slot that writes it, and the bookkeeping after its scan.
    const handle = env.bodies.create(2);
    let body: PendingBody;
    let content: Buffer | undefined;
    if (value.form === 'literal') {
      const framing = { kind: 'literal' as const, binary: value.binary, terminator: copy(seg, value.headerEnd, seg.length) };
      body = new PendingBody(handle, kind, value.size, framing, slice, env.bodies);
    } else {
      content = unquote(seg, value.start, value.end);
      const framing = { kind: 'quoted' as const, raw: copy(seg, value.start, value.end) };
      body = new PendingBody(handle, kind, content.length, framing, slice, env.bodies);
    }
    edits.push({ start: value.start, end: value.end, piece: body.slot });
    (this.bodies ??= []).push(body);
    env.bodyStarted(body, this);
    const context = this.context(kind);
    this.ending.begun(body, kind, context);
    env.emit({ kind: 'bodyBegin', bodyId: handle.id, context, size: body.declaredSize });
    if (content) {
      if (content.length > 0) env.emit({ kind: 'bodyData', bodyId: handle.id, bytes: content });
      this.ending.contentDone(body, this.ended);
      return undefined;
    }
    return { kind: 'body', body };
  }

  private context(kind: BodySectionItem): BodyContext {
    const session = this.env.session;
    const context: BodyContext = { protocol: 'imap', section: kind.responseName, seq: this.seq };
    if (session.user !== undefined) context.user = session.user;
    if (session.mailbox !== undefined) context.mailbox = session.mailbox;
    if (session.uidValidity !== undefined) context.uidValidity = session.uidValidity;
    if (this.uid !== undefined) context.uid = this.uid;
    context.isPart = kind.scope === 'part';
    context.decoded = kind.binary;
    return Object.assign(context, this.ending.headerContext(kind));
  }

  private reportUnscanned(kind: BodySectionItem, reason: string, size: number | undefined): void {
    const session = this.env.session;
    const event: ProxyEvent = { type: 'body-unscanned', reason, protocol: 'imap', section: kind.responseName, seq: this.seq };
    if (size !== undefined) event.size = size;
    if (this.uid !== undefined) event.uid = this.uid;
    if (session.mailbox !== undefined) event.mailbox = session.mailbox;
    if (session.uidValidity !== undefined) event.uidValidity = session.uidValidity;
    if (session.user !== undefined) event.user = session.user;
    this.env.event(event);
  }
}

