// The proxy's own commands inside a user's IMAP session (#14 retroactive remediation): move a released
// message whose attachment later got a blocking verdict into the quarantine folder, or flag it.
//
// A run starts only where the client expects expunges and has nothing else in flight, so no sequence
// number it uses can shift under it (RFC 9051 §7.5.1):
// - before a client command that allows EXPUNGE responses (NOOP, CHECK, IDLE, LOGOUT, UID commands)
//   with the message's mailbox selected under the same UIDVALIDITY;
// - while the client idles in that mailbox: DONE, the run, then IDLE again under the client's tag;
// - before the first command of a session with no mailbox selected: SELECT, the run, UNSELECT.
// While a run is in flight the client's bytes wait (the engine gates them). Its tagged responses and the
// untagged ones only it causes (COPYUID, and everything of its own SELECT) are hidden; the untagged
// EXPUNGE that tells the client to drop the message goes through. Never a bare EXPUNGE: without MOVE
// the message goes by UID COPY + UID STORE \Deleted + UID EXPUNGE (UIDPLUS), else not at all.
import type { ServerAction, ServerActionOutcome } from '../types/server-action.js';
import { responseCode, type ResponseLine } from './response-line.js';

/** Where a run may start, as the engine sees the session at that moment. */
export interface RunPlace {
  /** The mailbox the client has selected and its UIDVALIDITY; absent in authenticated state. */
  selected?: { mailbox: string; uidValidity: string };
  /** The client's IDLE under this tag is in progress (the server sent its continuation). */
  idleTag?: string;
}

export interface ServerActionHooks {
  /** Sends the proxy's own bytes upstream now, ahead of any client bytes waiting at the gate. */
  send(bytes: Buffer): void;
  done(action: ServerAction, outcome: ServerActionOutcome, detail: string): void;
  /** Content of the message a fetch-original action reads, in order. */
  data(action: ServerAction, bytes: Buffer): void;
  /** The capabilities the server announced so far (any list, hidden or not), undefined if none yet. */
  capabilities(): ReadonlySet<string> | undefined;
}

interface Reply {
  status: string;
  /** The tagged line, without CRLF. */
  text: string;
  /** A COPYUID code came with it (untagged during MOVE, or in the tagged OK of COPY). */
  copyUid: boolean;
  /** UIDVALIDITY reported during the run's own SELECT. */
  uidValidity?: string;
  /** Bytes of the message a UID FETCH of the run delivered. */
  captured: number;
}

type Request = { kind: 'command'; text: string } | { kind: 'done' } | { kind: 'idle' };

/** Client commands during which an EXPUNGE response is expected (RFC 9051 §7.5.1: not FETCH, STORE, SEARCH by number). */
const EXPUNGE_SAFE = new Set(['NOOP', 'CHECK', 'IDLE', 'LOGOUT']);
const EXPUNGE_SAFE_UID = new Set(['FETCH', 'STORE', 'SEARCH', 'COPY', 'MOVE', 'EXPUNGE', 'SORT', 'THREAD']);
const FLAG_KEYWORD = '$InboxGuardBlocked';

export class ServerActionRunner {
  private queue: ServerAction[] = [];
  private run: Generator<Request, void, Reply> | undefined;
  private awaiting: { tag: string } | { continuation: true } | undefined;
  private reply: Reply = { status: '', text: '', copyUid: false, captured: 0 };
  /** The fetch-original action whose UID FETCH is in flight. */
  private fetching: ServerAction | undefined;
  /** Hides every untagged response: the run selected a mailbox the client has not. */
  private ownSelect = false;
  private idle: { tag: string; clientEnded: boolean; resumed: boolean; serverReply?: Buffer } | undefined;
  private count = 0;
  /** A tag prefix no client plausibly uses. */
  private readonly tagPrefix = `ig${Math.floor(Math.random() * 0xffff).toString(16)}.`;

  constructor(private readonly hooks: ServerActionHooks) {}

  get running(): boolean {
    return this.run !== undefined;
  }

  get hasWork(): boolean {
    return this.queue.length > 0;
  }

  add(actions: readonly ServerAction[]): void {
    for (const action of actions) {
      if (!this.queue.some((queued) => queued.id === action.id)) this.queue.push(action);
    }
  }

  /** The client is about to send `verb` with nothing else in flight: starts a run first when one fits. */
  startBefore(verb: string, uid: boolean, place: RunPlace): boolean {
    if (this.running || this.queue.length === 0) return false;
    if (place.selected) {
      // Reading a message never expunges one: fetch-original may go before any command.
      const expungesExpected = uid ? EXPUNGE_SAFE_UID.has(verb) : EXPUNGE_SAFE.has(verb);
      return this.startSelected(place.selected, undefined, expungesExpected ? () => true : isFetch);
    }
    if (!this.queue.some((action) => !isFetch(action))) return false;
    const caps = this.hooks.capabilities();
    // Without UNSELECT the run could not leave its mailbox again (CLOSE would expunge): wait for the client's SELECT.
    if (caps !== undefined && !caps.has('UNSELECT')) return false;
    const first = this.queue.find((action) => !isFetch(action))!;
    const actions = this.take((action) => !isFetch(action) && action.mailbox === first.mailbox);
    this.ownSelect = true;
    return this.start(this.ownSelectRun(first.mailbox, actions));
  }

  /** The client idles with `place.selected` selected: interrupts the IDLE when a run fits. */
  startInIdle(place: RunPlace): boolean {
    if (this.running || this.queue.length === 0 || !place.selected || place.idleTag === undefined) return false;
    this.idle = { tag: place.idleTag, clientEnded: false, resumed: false };
    if (this.startSelected(place.selected, place.idleTag, () => true)) return true;
    this.idle = undefined;
    return false;
  }

  /** Nothing is in flight and the client is quiet: reads whole originals now (a read expunges nothing). */
  startQuiet(place: RunPlace): boolean {
    if (this.running || !place.selected || !this.queue.some(isFetch)) return false;
    return this.startSelected(place.selected, undefined, isFetch);
  }

  /**
   * A FETCH response line while a run reads a message: true when its literal (of literalSize bytes)
   * carries the whole message; the engine then passes those bytes to captured().
   */
  captureStart(kind: ResponseLine, line: Buffer, literalSize: number | undefined): boolean {
    const action = this.fetching;
    if (!action || kind.kind !== 'fetch' || literalSize === undefined) return false;
    const text = line.toString('latin1');
    if (!/BODY\[\]/i.test(text) || !new RegExp(`\\bUID ${action.uid}\\b`).test(text)) return false;
    return true;
  }

  captured(chunk: Buffer): void {
    const action = this.fetching;
    if (!action) return;
    this.reply.captured += chunk.length;
    this.hooks.data(action, chunk);
  }

  /**
   * The client sent DONE during a run that interrupted its IDLE. True: swallowed (the server is not
   * idling now); the client gets the server's IDLE completion when the run ends.
   */
  swallowIdleDone(): boolean {
    if (!this.running || !this.idle || this.idle.resumed) return false;
    this.idle.clientEnded = true;
    return true;
  }

  /**
   * A server line while a run is in flight: 'hide' keeps it from the client. The IDLE completion the run
   * caused is kept and handed out by takeIdleCompletion() when the client ended its IDLE meanwhile.
   */
  serverLine(kind: ResponseLine, line: Buffer): 'hide' | 'forward' {
    const awaiting = this.awaiting;
    if (!this.running || !awaiting) return 'forward';
    if (kind.kind === 'tagged') {
      if (!('tag' in awaiting) || awaiting.tag !== kind.tag) return 'forward';
      if (this.idle && kind.tag === this.idle.tag) this.idle.serverReply = Buffer.from(line);
      this.advance({ ...this.reply, status: kind.status, text: trimEnd(line), copyUid: this.reply.copyUid || responseCode(line)?.name === 'COPYUID' });
      return 'hide';
    }
    if (kind.kind === 'continuation') {
      if (!('continuation' in awaiting)) return 'forward';
      this.advance({ ...this.reply, status: 'continuation', text: trimEnd(line) });
      return 'hide';
    }
    if (kind.kind === 'status') {
      const code = responseCode(line);
      if (code?.name === 'COPYUID') {
        this.reply.copyUid = true;
        return 'hide';
      }
      if (this.ownSelect && code?.name === 'UIDVALIDITY') this.reply.uidValidity = code.args.trim();
      if (kind.status === 'BYE') return 'forward';
    }
    return this.ownSelect ? 'hide' : 'forward';
  }

  /** After a run that interrupted an IDLE the client ended meanwhile: the server's IDLE completion, for the client. */
  takeIdleCompletion(): Buffer | undefined {
    if (this.running) return undefined;
    const reply = this.idle?.clientEnded ? this.idle.serverReply : undefined;
    this.idle = undefined;
    return reply;
  }

  /** The session ends: what has not been done stays pending for the next session. */
  abort(): void {
    this.run = undefined;
    this.awaiting = undefined;
    this.queue = [];
    this.fetching = undefined;
  }

  private startSelected(selected: { mailbox: string; uidValidity: string }, idleTag: string | undefined, allowed: (action: ServerAction) => boolean): boolean {
    const actions = this.take((action) => allowed(action) && action.mailbox === selected.mailbox && action.uidValidity === selected.uidValidity);
    if (actions.length === 0) return false;
    this.ownSelect = false;
    return this.start(this.selectedRun(actions, idleTag !== undefined));
  }

  private take(matches: (action: ServerAction) => boolean): ServerAction[] {
    const taken = this.queue.filter(matches);
    this.queue = this.queue.filter((action) => !matches(action));
    return taken;
  }

  private start(run: Generator<Request, void, Reply>): boolean {
    this.run = run;
    this.step(run.next());
    return true;
  }

  private advance(reply: Reply): void {
    const run = this.run;
    if (!run) return;
    this.reply = { status: '', text: '', copyUid: false, captured: 0 };
    this.step(run.next(reply));
  }

  private step(result: IteratorResult<Request, void>): void {
    if (result.done) {
      this.run = undefined;
      this.awaiting = undefined;
      this.ownSelect = false;
      return;
    }
    const request = result.value;
    switch (request.kind) {
      case 'command': {
        const tag = `${this.tagPrefix}${++this.count}`;
        this.awaiting = { tag };
        this.hooks.send(Buffer.from(`${tag} ${request.text}\r\n`, 'latin1'));
        return;
      }
      case 'done':
        this.awaiting = { tag: this.idle!.tag };
        this.hooks.send(Buffer.from('DONE\r\n', 'latin1'));
        return;
      case 'idle':
        this.idle!.resumed = true;
        this.awaiting = { continuation: true };
        this.hooks.send(Buffer.from(`${this.idle!.tag} IDLE\r\n`, 'latin1'));
        return;
    }
  }

  private *selectedRun(actions: ServerAction[], inIdle: boolean): Generator<Request, void, Reply> {
    if (inIdle) yield { kind: 'done' };
    yield* this.remediate(actions);
    if (inIdle && !this.idle?.clientEnded) yield { kind: 'idle' };
  }

  private *ownSelectRun(mailbox: string, actions: ServerAction[]): Generator<Request, void, Reply> {
    if (this.hooks.capabilities() === undefined) yield { kind: 'command', text: 'CAPABILITY' };
    if (!this.hooks.capabilities()?.has('UNSELECT')) {
      this.add(actions); // left for a session that selects the mailbox itself
      return;
    }
    const name = quoted(mailbox);
    if (name === undefined) return this.finishAll(actions, 'failed', 'the mailbox name cannot be sent as a quoted string');
    const selected = yield { kind: 'command', text: `SELECT ${name}` };
    if (selected.status !== 'OK') return this.finishAll(actions, 'failed', `SELECT refused: ${selected.text}`);
    const current = actions.filter((action) => action.uidValidity === selected.uidValidity);
    this.finishAll(actions.filter((action) => !current.includes(action)), 'gone', `UIDVALIDITY of ${mailbox} changed`);
    yield* this.remediate(current);
    yield { kind: 'command', text: 'UNSELECT' };
  }

  private *remediate(actions: ServerAction[]): Generator<Request, void, Reply> {
    if (actions.length === 0) return;
    if (this.hooks.capabilities() === undefined && !actions.every(isFetch)) yield { kind: 'command', text: 'CAPABILITY' };
    const caps = this.hooks.capabilities() ?? new Set<string>();
    const created = new Set<string>();
    for (const action of actions) {
      if (action.kind === 'fetch-original') {
        this.fetching = action;
        const read = yield { kind: 'command', text: `UID FETCH ${action.uid} BODY.PEEK[]` };
        this.fetching = undefined;
        const outcome = read.status !== 'OK' ? 'failed' : read.captured > 0 ? 'done' : 'gone';
        this.finish(action, outcome, read.text);
        continue;
      }
      if (action.kind === 'flag') {
        const stored = yield { kind: 'command', text: `UID STORE ${action.uid} +FLAGS (${FLAG_KEYWORD} \\Flagged)` };
        this.finish(action, stored.status === 'OK' ? 'done' : 'failed', stored.text);
        continue;
      }
      const folder = quoted(action.folder);
      if (folder === undefined) {
        this.finish(action, 'failed', 'the quarantine folder name cannot be sent as a quoted string');
        continue;
      }
      if (!caps.has('MOVE') && !caps.has('UIDPLUS')) {
        this.finish(action, 'unsupported', 'the server has neither MOVE nor UIDPLUS; the message was left in place');
        continue;
      }
      if (!created.has(action.folder)) {
        // NO [ALREADYEXISTS] is the usual answer; a real failure shows in the move itself.
        yield { kind: 'command', text: `CREATE ${folder}` };
        created.add(action.folder);
      }
      if (caps.has('MOVE')) {
        const moved = yield { kind: 'command', text: `UID MOVE ${action.uid} ${folder}` };
        // With UIDPLUS a move reports COPYUID; an OK without it moved nothing (the UID is gone).
        const outcome = moved.status !== 'OK' ? 'failed' : moved.copyUid || !caps.has('UIDPLUS') ? 'done' : 'gone';
        this.finish(action, outcome, moved.text);
        continue;
      }
      const copied = yield { kind: 'command', text: `UID COPY ${action.uid} ${folder}` };
      if (copied.status !== 'OK') {
        this.finish(action, 'failed', copied.text);
        continue;
      }
      if (!copied.copyUid) {
        this.finish(action, 'gone', copied.text);
        continue;
      }
      const deleted = yield { kind: 'command', text: `UID STORE ${action.uid} +FLAGS.SILENT (\\Deleted)` };
      if (deleted.status !== 'OK') {
        this.finish(action, 'failed', `copied, but marking the original deleted was refused: ${deleted.text}`);
        continue;
      }
      const expunged = yield { kind: 'command', text: `UID EXPUNGE ${action.uid}` };
      this.finish(action, expunged.status === 'OK' ? 'done' : 'failed', expunged.text);
    }
  }

  private finish(action: ServerAction, outcome: ServerActionOutcome, detail: string): void {
    this.hooks.done(action, outcome, detail);
  }

  private finishAll(actions: ServerAction[], outcome: ServerActionOutcome, detail: string): void {
    for (const action of actions) this.finish(action, outcome, detail);
  }
}

function isFetch(action: ServerAction): boolean {
  return action.kind === 'fetch-original';
}

/** A mailbox name as an IMAP quoted string, or undefined when it would need a literal (8-bit, CR, LF, NUL). */
function quoted(name: string): string | undefined {
  if (/[\u0000\r\n\u0080-\uffff]/.test(name)) return undefined;
  return `"${name.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function trimEnd(line: Buffer): string {
  return line.toString('latin1').replace(/\r?\n$/, '');
}
