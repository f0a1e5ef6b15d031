import type { EngineOptions, EngineOutput, ProtocolEngine, ProxyEvent, ScanOutcome } from '../protocol/engine.js';
import type { LimitHit, ProtocolLimitName } from '../protocol/limits.js';
import type { ScannedCopyStore } from '../protocol/session-ports.js';
import type { ServerAction } from '../types/server-action.js';
import type { PendingBody } from './body-slots.js';
import { announcedCapabilities, filterCapabilities, mayListBlockedCapabilities } from './capability-filter.js';
import { ClientQueue } from './client-queue.js';
import { CommandTracker, type CommandRecord, type CommandTrackerHooks } from './command-tracker.js';
import type { FetchCommand } from './fetch-command.js';
import type { ClientId } from './id-command.js';
import { classifyFetchItem, isRawWholeMessage } from './fetch-item.js';
import { FetchResponse, type FetchEnvironment } from './fetch-response.js';
import { LineFramer, type FramerSink } from './line-framer.js';
import { literalAtLineEnd } from './literal-header.js';
import { coalesceOutputs } from './output-coalescer.js';
import { claimSection, planFetch, type FetchPlan, type FetchRequest, type SectionPlan } from './partial-fetch.js';
import { classifyResponseLine, responseCode } from './response-line.js';
import { ScannedBodies } from './scanned-bodies.js';
import { ServerActionRunner } from './server-actions.js';
import { isExpungeResponse, SessionState } from './session-state.js';

// The IMAP protocol engine (sans-io): sits between a client and a server after TLS and any
// STARTTLS negotiation, forwards both directions, hands message bodies from FETCH responses to
// the session for scanning, and writes back whatever the scan decided, re-framed. See
// fetch-response.ts for bodies, partial-fetch.ts for partial fetches, command-tracker.ts for the
// client side, client-queue.ts for how responses stay in order while a body is held.

/** scannedCopies: copies shared with the other sessions of the account (the proxy's AccountScannedCopies). */
export type ImapEngineOptions = EngineOptions & { listener?: string; scannedCopies?: ScannedCopyStore };

// Line, literal, ID and pipelining limits: options.limits.imap (defaults and reasons in protocol/limits.ts).
/** What the client is told when a limit ends the session (RFC 9051 §7.1.5: BYE, then the connection closes). */
const LIMIT_BYE: Partial<Record<ProtocolLimitName, string>> = {
  'imap.clientLineBytes': 'command line too long',
  'imap.saslResponseBytes': 'authentication response too long',
  'imap.clientLiteralBytes': 'literal too large',
  'imap.commandsOutstanding': 'too many pipelined commands',
};
/** Tags that can go into a quoted string inside a response code without escaping. */
const SAFE_TAG = /^[A-Za-z0-9.\-_+!#$%&'*,/:;<=>?@^`|~]{1,64}$/;

/** Client bytes not yet forwarded: a deleting command waiting for delivery, and what the client sent after it. */
interface GatedBytes {
  bytes: Buffer;
  /** For a deleting command: the FETCH commands sent before it, whose responses must reach the client first. */
  fetchesBefore: CommandRecord[] | undefined;
}

interface LocalAnswer {
  bytes: Buffer;
  /** Commands sent before it; the answer goes out after their tagged responses. */
  waitFor: Set<string>;
}

/** What drain() returns when nothing was emitted (shared, never written to). */
const NO_OUTPUTS: readonly EngineOutput[] = Object.freeze([]);
const BODIES_AHEAD: EngineOutput = Object.freeze({ kind: 'bodiesAhead' });
/** Items a client fetches when it shows messages (a folder opened, new mail), just before their bodies. */
const SHOWING_ITEMS = new Set(['ENVELOPE', 'BODYSTRUCTURE', 'BODY', 'ALL', 'FULL']);

/** SELECT or EXAMINE: the command that will make another mailbox (or UIDVALIDITY) the selected one. */
function isSelecting(record: CommandRecord): boolean {
  return record.verb === 'SELECT' || record.verb === 'EXAMINE';
}

/**
 * A FETCH of envelopes, structures or any section says bodies are likely next. One of flags, UIDs, sizes
 * or dates alone is a synchronisation (clients repeat it every few minutes) and starts no scan worker.
 */
function announcesBodies(command: FetchCommand): boolean {
  return command.items.some(({ item, name }) => item.kind === 'body' || SHOWING_ITEMS.has(name));
}

/**
 * An idle session costs little: the engine is its own server-side framer sink and its command
 * tracker's hooks (methods, not a closure per callback), and whatever only bodies, answers of its own,
 * remediations or gated commands need is created when first needed.
 */
export class ImapEngine implements ProtocolEngine, FramerSink, CommandTrackerHooks {
  private readonly options: ImapEngineOptions;
  /** Outputs since the last drain(); undefined when there are none. */
  private out: EngineOutput[] | undefined;
  private readonly queue: ClientQueue;
  private readonly bodies: ScannedBodies;
  private readonly session = new SessionState();
  private readonly tracker: CommandTracker;
  private readonly serverFramer: LineFramer;
  private readonly outstanding: CommandRecord[] = [];
  private pendingBodies: Map<number, { body: PendingBody; response: FetchResponse }> | undefined;
  private localAnswers: LocalAnswer[] | undefined;
  private gated: GatedBytes[] | undefined;
  private fetchEnvironment: FetchEnvironment | undefined;
  private fetchResponse: FetchResponse | undefined;
  /** A non-FETCH response continues after a literal. */
  private inDataResponse = false;
  private now: number | undefined;
  /** The keep-alive time last asked a wakeUp for (-1: as soon as possible); cleared by every tick. */
  private wakeRequestedFor: number | undefined;
  private serverEnded = false;
  private closed = false;
  private passThroughState: 'off' | 'requested' | 'on' = 'off';
  /** The proxy's own commands (retroactive remediation), run where the client expects expunges; created with the first. */
  private actions: ServerActionRunner | undefined;
  /** What the server announced in its latest capability list. */
  private capabilities: ReadonlySet<string> | undefined;
  /** The tag of the client's IDLE once the server accepted it (its continuation), until it completes. */
  private idlingTag: string | undefined;
  /** A literal in a response to the proxy's own command: the message it reads, or bytes to drop. */
  private hiddenLiteral: 'capture' | 'discard' | undefined;
  /** The response to the proxy's own command goes on after its literal. */
  private hiddenRest = false;
  /** A FETCH since the last drain() announced bodies: drain() emits one bodiesAhead after the batch's outputs. */
  private bodiesAhead = false;

  constructor(options: ImapEngineOptions) {
    this.options = options;
    this.queue = new ClientQueue(this.emit);
    this.bodies = new ScannedBodies(options.partialCacheBytes, this.emit, options.scannedCopies, this.session);
    this.tracker = new CommandTracker(this, options.limits.imap);
    this.serverFramer = new LineFramer(this, options.limits.imap.serverLineBytes);
  }

  /** Every output goes through here; the queue, the bodies and FETCH responses emit with it too. */
  private readonly emit = (out: EngineOutput): void => {
    if (this.out === undefined) this.out = [out];
    else this.out.push(out);
  };

  /** What FETCH responses work with; made for the first one. */
  private get environment(): FetchEnvironment {
    this.fetchEnvironment ??= {
      options: this.options,
      queue: this.queue,
      session: this.session,
      bodies: this.bodies,
      emit: this.emit,
      event: (event) => this.event(event),
      findSection: (key, seq) => this.findSection(key, seq),
      bodyStarted: (body, response) => void (this.pendingBodies ??= new Map()).set(body.handle.id, { body, response }),
      takeInjection: (uid) => {
        for (const record of this.outstanding) {
          const injected = record.fetch?.injected;
          if (injected && !injected.served && injected.uid === uid) {
            injected.served = true;
            return injected;
          }
        }
        return undefined;
      },
      place: () => (this.changingMailbox() ? undefined : this.session.place()),
    };
    return this.fetchEnvironment;
  }

  private runner(): ServerActionRunner {
    this.actions ??= new ServerActionRunner({
      send: (bytes) => this.emit({ kind: 'toServer', bytes }),
      done: (action, outcome, detail) => this.emit({ kind: 'serverActionDone', action, outcome, detail }),
      data: (action, bytes) => this.emit({ kind: 'serverActionData', action, bytes: Buffer.from(bytes) }),
      capabilities: () => this.capabilities,
    });
    return this.actions;
  }

  private get actionsRunning(): boolean {
    return this.actions?.running === true;
  }

  private get bodiesPending(): boolean {
    return this.pendingBodies !== undefined && this.pendingBodies.size > 0;
  }

  private get answersOwed(): number {
    return this.localAnswers?.length ?? 0;
  }

  private get gatedWaiting(): boolean {
    return this.gated !== undefined && this.gated.length > 0;
  }

  /** Client-bound bytes waiting behind a held response (for read backpressure on the server leg). */
  get queuedClientBytes(): number {
    return this.queue.queuedBytes;
  }

  get bodiesKnownClean(): number {
    return this.bodies.knownCleanPasses;
  }

  fromClient(bytes: Buffer): void {
    if (this.closed) return;
    if (this.passThroughState === 'on') return this.emit({ kind: 'toServer', bytes });
    this.tracker.push(bytes);
    this.enterPassThroughWhenDue();
  }

  fromServer(bytes: Buffer): void {
    if (this.closed || this.serverEnded) return;
    if (this.passThroughState === 'on') return this.emit({ kind: 'toClient', bytes });
    this.serverFramer.push(bytes);
    this.enterPassThroughWhenDue();
  }

  /**
   * Stops inspecting: from the first moment when no body is held or being received, no response the
   * engine changes is under way (a FETCH it planned, an answer it owes), every byte from either side
   * is forwarded unchanged, in the order it arrives. Bytes of an incomplete line buffered at that
   * moment go out first, unchanged. An 'imap-pass-through' event marks the moment. Used when the
   * client turns out to be an excluded application (IMAP ID).
   */
  passThrough(): void {
    if (this.passThroughState !== 'off' || this.closed) return;
    this.passThroughState = 'requested';
    this.enterPassThroughWhenDue();
  }

  get passingThrough(): boolean {
    return this.passThroughState === 'on';
  }

  /** Remediations for the logged-in account: carried out where the client expects expunges (server-actions.ts). */
  serverActions(actions: readonly ServerAction[]): void {
    if (this.closed || this.passThroughState !== 'off') return;
    this.runner().add(actions);
    this.startActionsInIdle();
    this.startQuietActions();
  }

  private enterPassThroughWhenDue(): void {
    if (this.passThroughState !== 'requested' || this.closed) return;
    const quiet =
      this.atResponseBoundary() &&
      this.queue.idle &&
      !this.bodiesPending &&
      !this.actionsRunning &&
      this.answersOwed === 0 &&
      !this.gatedWaiting &&
      !this.outstanding.some((record) => record.fetch !== undefined);
    if (!quiet) return;
    this.passThroughState = 'on';
    const clientPartial = this.tracker.takePartialLine();
    const serverPartial = this.serverFramer.takePartialLine();
    this.serverFramer.stop();
    this.bodies.releaseAll();
    this.event({ type: 'imap-pass-through', protocol: 'imap' });
    if (clientPartial) this.emit({ kind: 'toServer', bytes: clientPartial });
    if (serverPartial) this.emit({ kind: 'toClient', bytes: serverPartial });
  }

  scanned(bodyId: number, outcome: ScanOutcome): void {
    const entry = this.pendingBodies?.get(bodyId);
    if (!entry || this.closed) return;
    this.pendingBodies!.delete(bodyId);
    entry.body.outcome = outcome;
    entry.body.handle.size = outcome.size;
    // A verdict before bodyEnd (a session racing ahead) is applied when the body is complete.
    if (entry.body.complete) entry.response.scanned(entry.body);
    this.closeIfServerDone();
    this.enterPassThroughWhenDue();
  }

  bodyFailed(bodyId: number, reason: string): void {
    const entry = this.pendingBodies?.get(bodyId);
    if (!entry || this.closed) return;
    this.event({ type: 'body-failed', protocol: 'imap', bodyId, reason });
    // The response holding this body cannot be completed. When the client has seen nothing of it,
    // everything it got so far ends at a response boundary and an untagged BYE fits (RFC 9051 §7.1.5).
    if (this.queue.heldResponse() !== undefined) {
      this.emit({ kind: 'toClient', bytes: Buffer.from('* BYE inboxguard: a message could not be processed\r\n', 'latin1') });
    }
    this.close(`body ${bodyId} failed: ${reason}`);
  }

  tick(nowMs: number): void {
    this.now = nowMs;
    this.queue.now = nowMs;
    this.wakeRequestedFor = undefined;
    if (this.closed || this.passThroughState === 'on') return;
    const held = this.queue.heldResponse();
    if (!held) return;
    held.heldSince ??= nowMs;
    const last = held.lastKeepalive ?? held.heldSince;
    if (nowMs - last < this.options.keepaliveMs) return;
    held.lastKeepalive = nowMs;
    // Everything before the held response has been written and nothing of it has, so an untagged
    // status response fits here (RFC 9051 §7.1: they may be sent at any time; RFC 9585 code).
    this.emit({ kind: 'toClient', bytes: this.keepaliveLine() });
  }

  end(side: 'client' | 'server'): void {
    if (this.closed) return;
    if (side === 'client') {
      this.close('the client closed the connection');
      return;
    }
    if (this.passThroughState === 'on') return this.close('the server closed the connection');
    this.serverEnded = true;
    this.actions?.abort();
    if (this.fetchResponse) {
      this.fetchResponse.abort();
      this.fetchResponse = undefined;
    }
    this.inDataResponse = false;
    const partial = this.serverFramer.takePartialLine();
    this.serverFramer.stop();
    if (partial) this.queue.bytes(partial);
    for (const answer of this.localAnswers ?? []) this.queue.bytes(answer.bytes);
    this.localAnswers = undefined;
    this.queue.flush();
    this.closeIfServerDone();
  }

  drain(): readonly EngineOutput[] {
    if (this.releaseGated()) this.enterPassThroughWhenDue();
    this.requestWakeUp();
    if (this.bodiesAhead) {
      this.bodiesAhead = false;
      this.emit(BODIES_AHEAD);
    }
    const outputs = this.out;
    if (outputs === undefined) return NO_OUTPUTS;
    this.out = undefined;
    return coalesceOutputs(outputs);
  }

  // ---- server → client (the server framer's sink) ----

  onLine(line: Buffer): number {
    // Checked on the literal the response reader found, so text that only looks like one does not count.
    const literal = this.serverLine(line);
    const maxLiteral = this.options.limits.imap.serverLiteralBytes;
    if (literal <= maxLiteral) return literal;
    this.refuse({ side: 'server', limit: 'imap.serverLiteralBytes', value: maxLiteral });
    return -1;
  }

  onLiteralData(chunk: Buffer): void {
    if (this.hiddenLiteral === 'capture') return this.actions?.captured(chunk);
    if (this.hiddenLiteral === 'discard') return;
    if (this.fetchResponse) this.fetchResponse.literalData(chunk);
    else this.queue.bytes(chunk);
  }

  onLiteralEnd(): void {
    if (this.hiddenLiteral === undefined) return this.fetchResponse?.literalEnd();
    this.hiddenLiteral = undefined;
    this.hiddenRest = true;
  }

  onOverlongLine(maxLineBytes: number): void {
    this.refuse({ side: 'server', limit: 'imap.serverLineBytes', value: maxLineBytes });
  }

  private serverLine(line: Buffer): number {
    if (this.hiddenRest) return this.hiddenResponseLine(line);
    if (this.fetchResponse) return this.fetchSegment(this.fetchResponse, line);
    if (this.inDataResponse) return this.dataSegment(line);
    const kind = classifyResponseLine(line);
    // Only these kinds carry a capability list (`* CAPABILITY`, a `[CAPABILITY …]` code); FETCH and data lines are not read.
    if (kind.kind === 'capability' || kind.kind === 'status' || kind.kind === 'tagged') {
      const announced = announcedCapabilities(line);
      if (announced) this.capabilities = announced;
    }
    if (kind.kind === 'data' && isExpungeResponse(line)) this.expunged();
    const actions = this.actions;
    if (actions?.running) {
      const literal = literalAtLineEnd(line, false);
      if (actions.captureStart(kind, line, literal?.size)) {
        this.hiddenLiteral = 'capture';
        return literal!.size;
      }
      if (actions.serverLine(kind, line) === 'hide' && !(kind.kind === 'data' && literal)) {
        this.ownLineHidden();
        return -1;
      }
    }
    switch (kind.kind) {
      case 'fetch':
        this.fetchResponse = new FetchResponse(this.environment, kind.seq, kind.listStart);
        return this.fetchSegment(this.fetchResponse, line);
      case 'tagged':
        this.taggedResponse(line, kind.tag, kind.status);
        return -1;
      case 'status':
        this.statusResponse(line);
        return -1;
      case 'capability':
        this.queue.bytes(this.filterCapabilities(line));
        this.responseEnded();
        return -1;
      case 'continuation':
        this.queue.bytes(line);
        this.responseEnded();
        this.continuationSent();
        return -1;
      case 'data':
        return this.dataSegment(line);
    }
  }

  private fetchSegment(response: FetchResponse, line: Buffer): number {
    const literal = response.segment(line);
    if (literal < 0) {
      this.fetchResponse = undefined;
      this.responseEnded();
    }
    return literal;
  }

  /** Untagged data other than FETCH (LIST, SEARCH, STATUS …): copied as is, literals streamed. */
  private dataSegment(line: Buffer): number {
    this.queue.bytes(line);
    const literal = literalAtLineEnd(line, false);
    this.inDataResponse = literal !== null;
    if (!literal) this.responseEnded();
    return literal ? literal.size : -1;
  }

  private taggedResponse(line: Buffer, tag: string, status: string): void {
    if (tag === this.idlingTag) this.idlingTag = undefined;
    const index = this.outstanding.findIndex((r) => r.tag === tag);
    // Mostly the oldest command completes: shift() then, which allocates nothing.
    const record = index === 0 ? this.outstanding.shift() : index > 0 ? this.outstanding.splice(index, 1)[0] : undefined;
    this.tracker.onTaggedResponse(tag);
    if (record) this.commandCompleted(record, status === 'OK');
    this.queue.bytes(status === 'OK' ? this.filterCapabilities(line) : line);
    this.responseEnded();
    this.startQuietActions();
  }

  private statusResponse(line: Buffer): void {
    const code = responseCode(line);
    if (code?.name === 'UIDVALIDITY') {
      const value = code.args.trim();
      const selecting = this.outstanding.find(isSelecting);
      if (selecting) selecting.uidValidity = value;
      else if (this.session.mailbox !== undefined) {
        this.session.uidValidity = value;
        this.bodies.forgetShared(this.session.mailbox, value);
      }
    }
    this.queue.bytes(code?.name === 'CAPABILITY' ? this.filterCapabilities(line) : line);
    this.responseEnded();
  }

  private filterCapabilities(line: Buffer): Buffer {
    if (!mayListBlockedCapabilities(line)) return line;
    const filtered = filterCapabilities(line);
    if (filtered.removed.length > 0) this.event({ type: 'capability-removed', protocol: 'imap', capabilities: filtered.removed });
    return filtered.line;
  }

  private commandCompleted(record: CommandRecord, ok: boolean): void {
    switch (record.verb) {
      case 'LOGIN':
      case 'AUTHENTICATE':
        if (ok) {
          this.session.user = record.user;
          const event: ProxyEvent = { type: 'imap-login', protocol: 'imap', method: record.verb };
          if (record.user !== undefined) event.user = record.user;
          this.event(event);
          if (record.user !== undefined) this.emit({ kind: 'account', user: record.user });
        }
        break;
      case 'SELECT':
      case 'EXAMINE':
        // A failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1).
        this.session.select(ok ? record.mailbox : undefined, ok ? record.uidValidity : undefined, record.verb === 'EXAMINE');
        if (ok && record.mailbox !== undefined && record.uidValidity !== undefined) this.bodies.forgetShared(record.mailbox, record.uidValidity);
        if (ok) {
          this.event({
            type: 'imap-select',
            protocol: 'imap',
            mailbox: record.mailbox,
            uidValidity: record.uidValidity,
            readOnly: record.verb === 'EXAMINE',
          });
        }
        break;
      case 'CLOSE':
      case 'UNSELECT':
        if (ok) this.session.select(undefined, undefined);
        break;
    }
    const fetch = record.fetch;
    if (fetch) {
      const pins = fetch.pins;
      for (let i = 0; i < pins.length; i++) this.bodies.unref(pins[i]);
    }
  }

  /** A server response is complete: answers the engine gave itself may go out now. */
  private responseEnded(): void {
    const answers = this.localAnswers;
    if (answers === undefined) return;
    while (answers.length > 0) {
      const answer = answers[0];
      for (const tag of answer.waitFor) {
        if (!this.outstanding.some((r) => r.tag === tag)) answer.waitFor.delete(tag);
      }
      if (answer.waitFor.size > 0) return;
      answers.shift();
      this.queue.bytes(answer.bytes);
    }
    this.localAnswers = undefined;
  }

  private atResponseBoundary(): boolean {
    return !this.fetchResponse && !this.inDataResponse;
  }

  // ---- client → server ----

  // The command tracker's hooks (CommandTrackerHooks).

  /** Forwards client bytes, unless a deleting command waits for delivery: then they wait behind it, in order. */
  toServer(bytes: Buffer, commit = false): void {
    if (!commit && !this.gatedWaiting && !this.actionsRunning) {
      this.emit({ kind: 'toServer', bytes });
      return;
    }
    // Called before the command is recorded, so `outstanding` holds exactly the commands sent before it.
    const fetchesBefore = commit ? this.outstanding.filter((record) => record.verb === 'FETCH') : undefined;
    (this.gated ??= []).push({ bytes: Buffer.from(bytes), fetchesBefore });
  }

  commandSent(record: CommandRecord): void {
    this.outstanding.push(record);
  }

  commandsOutstanding(): number {
    return this.outstanding.length + this.answersOwed;
  }

  report(hit: LimitHit): void {
    this.emit({ kind: 'protocolError', ...hit });
  }

  clientId(id: ClientId): void {
    this.event({ type: 'imap-id', protocol: 'imap', ...id });
    if (id.name !== undefined) this.emit({ kind: 'clientId', name: id.name });
  }

  takeIdleDone(): boolean {
    return this.actions?.swallowIdleDone() ?? false;
  }

  /**
   * A deleting command leaves once the FETCH commands before it are complete and nothing bound for the
   * client is held; the session still waits until those bytes are written before forwarding it.
   */
  /** Returns true when the last gated bytes just left. */
  private releaseGated(): boolean {
    const gated = this.gated;
    if (gated === undefined || this.actionsRunning) return false;
    while (gated.length > 0 && !this.closed) {
      const head = gated[0];
      if (head.fetchesBefore !== undefined) {
        const fetching = head.fetchesBefore.some((record) => this.outstanding.includes(record));
        if (fetching || !this.queue.idle) return false;
        this.emit({ kind: 'commitToServer', bytes: head.bytes });
      } else {
        this.emit({ kind: 'toServer', bytes: head.bytes });
      }
      gated.shift();
    }
    if (gated.length > 0) return false;
    this.gated = undefined;
    return true;
  }

  answerLocally(tag: string, response: string, command: string): void {
    const waitFor = new Set(this.outstanding.map((r) => r.tag));
    (this.localAnswers ??= []).push({ bytes: Buffer.from(`${response}\r\n`, 'latin1'), waitFor });
    this.event({ type: 'command-refused', protocol: 'imap', command, tag });
    if (this.atResponseBoundary()) this.responseEnded();
  }

  planFetch(tag: string, line: Buffer, command: FetchCommand): FetchPlan {
    // Not emitted here: an output between pipelined commands would split their one write to the server.
    if (this.passThroughState === 'off' && announcesBodies(command)) this.bodiesAhead = true;
    // While a mailbox change is in flight, the cache keys of the current mailbox may not apply.
    const changingMailbox = this.changingMailbox();
    return planFetch(tag, line, command, (uid, section) => {
      if (changingMailbox) return undefined;
      const key = this.session.sectionKey(uid, section);
      const handle = key === undefined ? undefined : this.bodies.lookup(key);
      // Another session delivered the message: its RFC822.SIZE here tells the size of that copy too.
      const messageKey = this.session.messageKey(uid);
      const item = classifyFetchItem(section);
      if (handle?.shared && messageKey !== undefined && item.kind === 'body' && isRawWholeMessage(item)) this.session.recordSize(messageKey, handle.size);
      return handle;
    });
  }

  private changingMailbox(): boolean {
    return this.outstanding.some((r) => isSelecting(r) || r.verb === 'CLOSE' || r.verb === 'UNSELECT');
  }

  /** Messages left the mailbox being selected, or the selected one: the account's copies of it go. */
  private expunged(): void {
    const selecting = this.outstanding.find(isSelecting);
    const mailbox = selecting ? selecting.mailbox : this.session.mailbox;
    if (mailbox !== undefined) this.bodies.forgetShared(mailbox);
  }

  private findSection(key: string, seq: number): { request: FetchRequest; plan: SectionPlan } | undefined {
    for (const record of this.outstanding) {
      const plan = record.fetch && claimSection(record.fetch, key, seq);
      if (plan && record.fetch) return { request: record.fetch, plan };
    }
    return undefined;
  }

  // ---- the proxy's own commands (server-actions.ts) ----

  /** A client command is about to go upstream: a pending remediation runs first when nothing else is in flight. */
  beforeCommand(verb: string, uid: boolean): void {
    const actions = this.actions;
    if (!actions?.hasWork || actions.running || this.session.user === undefined || this.passThroughState !== 'off') return;
    const busy = this.outstanding.length > 0 || this.answersOwed > 0 || this.gatedWaiting || this.bodiesPending || !this.atResponseBoundary();
    if (busy) return;
    const { mailbox, uidValidity, readOnly } = this.session;
    if (mailbox === undefined) return void actions.startBefore(verb, uid, {});
    if (uidValidity !== undefined && !readOnly) actions.startBefore(verb, uid, { selected: { mailbox, uidValidity } });
  }

  /** The server accepted the client's IDLE: remember it, and interrupt it when a remediation is waiting. */
  private continuationSent(): void {
    const last = this.outstanding[this.outstanding.length - 1];
    if (last?.verb === 'IDLE' && this.outstanding.length === 1) {
      this.idlingTag = last.tag;
      this.startActionsInIdle();
    }
  }

  private startActionsInIdle(): void {
    const tag = this.idlingTag;
    const actions = this.actions;
    if (tag === undefined || !actions?.hasWork || actions.running) return;
    if (this.outstanding.length !== 1 || this.outstanding[0].tag !== tag || this.answersOwed > 0 || this.gatedWaiting || !this.queue.idle) return;
    const { mailbox, uidValidity, readOnly } = this.session;
    if (mailbox === undefined || uidValidity === undefined || readOnly) return;
    actions.startInIdle({ selected: { mailbox, uidValidity }, idleTag: tag });
  }

  /** The rest of a response the proxy read for itself (after its literal): hidden too, up to its end. */
  private hiddenResponseLine(line: Buffer): number {
    const literal = literalAtLineEnd(line, false);
    if (literal) {
      this.hiddenLiteral = 'discard';
      return literal.size;
    }
    this.hiddenRest = false;
    return -1;
  }

  /** Nothing is in flight and nothing is held: the proxy may read whole originals now. */
  private startQuietActions(): void {
    const actions = this.actions;
    if (!actions?.hasWork || actions.running || this.passThroughState !== 'off' || this.closed || this.serverEnded) return;
    if (this.outstanding.length > 0 || this.answersOwed > 0 || this.gatedWaiting || this.bodiesPending || !this.queue.idle) return;
    const { mailbox, uidValidity } = this.session;
    if (mailbox === undefined || uidValidity === undefined) return;
    actions.startQuiet({ selected: { mailbox, uidValidity } });
  }

  /** A response to one of the proxy's own commands was kept from the client. */
  private ownLineHidden(): void {
    const actions = this.actions;
    if (actions === undefined || actions.running) return;
    const completion = actions.takeIdleCompletion();
    if (completion) {
      // The client ended its IDLE while the run had interrupted it: it gets the server's completion now.
      const kind = classifyResponseLine(completion);
      if (kind.kind === 'tagged') this.taggedResponse(completion, kind.tag, kind.status);
    } else {
      this.responseEnded();
    }
    this.startActionsInIdle();
  }

  // ---- misc ----

  /** While a response is held, asks to be ticked when the next keep-alive is due. */
  private requestWakeUp(): void {
    if (this.closed || this.passThroughState === 'on') return;
    const held = this.queue.heldResponse();
    if (!held) return;
    const last = held.lastKeepalive ?? held.heldSince;
    const due = last === undefined || this.now === undefined ? -1 : last + this.options.keepaliveMs;
    if (due === this.wakeRequestedFor) return;
    this.wakeRequestedFor = due;
    this.emit({ kind: 'wakeUp', afterMs: due === -1 || this.now === undefined ? 0 : Math.max(0, due - this.now) });
  }

  private keepaliveLine(): Buffer {
    const fetches = this.outstanding.filter((r) => r.verb === 'FETCH');
    const tag = fetches.length === 1 ? fetches[0].tag : undefined;
    // RFC 9585: the argument is optional; name the command only when it is unambiguous.
    const code = tag !== undefined && SAFE_TAG.test(tag) ? `INPROGRESS ("${tag}" NIL NIL)` : 'INPROGRESS';
    return Buffer.from(`* OK [${code}] inboxguard: scanning message\r\n`, 'latin1');
  }

  private event(event: ProxyEvent): void {
    if (this.options.listener !== undefined && event.listener === undefined) event.listener = this.options.listener;
    this.emit({ kind: 'event', event });
  }

  /**
   * A peer went past a limit: reported as a typed output, then the session ends. A client that broke
   * a limit is told with an untagged BYE when that fits: the server side is between responses and
   * everything before it has reached the client (or waits behind a held response that never will).
   */
  refuse(hit: LimitHit): void {
    if (this.closed) return;
    this.emit({ kind: 'protocolError', ...hit });
    const bye = LIMIT_BYE[hit.limit];
    if (bye !== undefined && this.atResponseBoundary() && (this.queue.idle || this.queue.heldResponse() !== undefined)) {
      this.emit({ kind: 'toClient', bytes: Buffer.from(`* BYE inboxguard: ${bye}\r\n`, 'latin1') });
    }
    this.close(`${hit.side === 'client' ? 'the client' : 'the server'} exceeded ${hit.limit} (${hit.value})`);
  }

  private closeIfServerDone(): void {
    if (this.serverEnded && !this.closed && this.queue.idle) this.close('the server closed the connection');
  }

  private close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.actions?.abort();
    this.gated = undefined;
    this.serverFramer.stop();
    this.pendingBodies?.clear();
    this.bodies.releaseAll();
    this.emit({ kind: 'close', reason });
  }
}
