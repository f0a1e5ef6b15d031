import type {
  BodyContext,
  EngineOptions,
  EngineOutput,
  ProtocolEngine,
  ScanOutcome,
} from '../protocol/engine.js';
import { filterCapabilityLine, filterMechanismLine, type FilteredLine } from './capability-filter.js';
import { ClientOutput } from './client-output.js';
import { CommandQueue, parseCommandLine, replyShapeFor, type Pop3Command } from './command-queue.js';
import { deleTarget, DeliveredSizes } from './delivered-sizes.js';
import { DotUnstuffer } from './dot-stuffing.js';
import { HeldBody, type UnscannedReason } from './held-body.js';
import { LineAssembler } from '../protocol/line-buffer.js';
import type { LimitHit } from '../protocol/limits.js';
import { MultiLineReader } from './multi-line-reader.js';
import { UidlNumbers } from './uidl-numbers.js';
import { saslUserName } from './sasl.js';

// POP3 after TLS and after any STLS negotiation (the prelude's job). Frames server replies with a FIFO
// of client commands, streams RETR/TOP bodies to the session for scanning and holds the client's view
// of them until scanned() says what to send. See README.md in this folder for the policies.

export type Pop3EngineOptions = EngineOptions & { listener?: string };

/**
 * Commands that read a body: the session may get a scan worker ready while the body arrives. Not STAT,
 * LIST or UIDL: a client polling for new mail sends those every few minutes and mostly finds none.
 */
const BEFORE_BODIES = new Set(['RETR', 'TOP']);
const BODIES_AHEAD: EngineOutput = Object.freeze({ kind: 'bodiesAhead' });

// Line, SASL and pipelining limits: options.limits.pop3 (defaults and reasons in protocol/limits.ts).

type ReplyReader =
  | { kind: 'status' }
  | { kind: 'passThrough'; reader: DotUnstuffer }
  | { kind: 'filtered'; reader: MultiLineReader; filter: (line: Buffer) => FilteredLine; removed: string[] }
  | { kind: 'body'; body: HeldBody };

type ReplyStatus = 'ok' | 'err' | 'continue' | 'invalid';

interface LoginAttempt {
  method: string;
  user: string | undefined;
}

interface SaslExchange {
  mechanism: string;
  login: LoginAttempt;
  /** Challenges the server sent that the client has not answered yet. */
  responsesOwed: number;
  responsesSent: number;
  /** Client lines that arrived before the server said whether they are SASL responses or commands. */
  undecidedLines: Buffer[];
  undecidedBytes: number;
}

interface TrackedCommand extends Pop3Command {
  login?: LoginAttempt;
  deletes?: number;
}

/** Client lines not yet forwarded: a QUIT waiting for delivery, and whatever the client sent after it. */
interface GatedLine {
  bytes: Buffer;
  /** The QUIT this line is; undefined for lines queued behind one. */
  commit: TrackedCommand | undefined;
}

function replyStatus(line: Buffer): ReplyStatus {
  const head = line.toString('latin1', 0, Math.min(line.length, 4)).toUpperCase();
  if (head.startsWith('+OK')) return 'ok';
  if (head === '-ERR') return 'err';
  if (head.startsWith('+')) return 'continue';
  return 'invalid';
}

function inboxguardError(text: string): Buffer {
  return Buffer.from(`-ERR inboxguard: ${text}\r\n`, 'latin1');
}

export class Pop3Engine implements ProtocolEngine {
  private readonly options: Pop3EngineOptions;
  private outputs: EngineOutput[] = [];
  private serverBound: Buffer[] = [];
  private readonly client: ClientOutput;
  private readonly commands = new CommandQueue<TrackedCommand>();
  private readonly serverLine = new LineAssembler();
  private readonly clientLine = new LineAssembler();
  private reply: ReplyReader = { kind: 'status' };
  private readonly awaitingScan = new Map<number, HeldBody>();
  private readonly deliveredSizes = new DeliveredSizes();
  private readonly uidls = new UidlNumbers();
  /** QUIT enters UPDATE (RFC 1939 §6): it goes upstream only once every earlier reply reached the client. */
  private gated: GatedLine[] = [];
  /** Set when a message failed here: the client did not get it, so this session must not delete anything. */
  private commitWithheld: string | undefined;
  private sasl: SaslExchange | undefined;
  private nextBodyId = 1;
  private nowMs: number | undefined;
  /** The hold deadline last asked a wakeUp for (-1: as soon as possible); cleared by every tick. */
  private wakeRequestedFor: number | undefined;
  private closing = false;
  private clientEnded = false;
  /** A RETR or TOP since the last drain(): drain() emits one bodiesAhead after the batch's outputs. */
  private bodiesAhead = false;
  private user: string | undefined;
  private userNameFromUserCommand: string | undefined;

  constructor(options: Pop3EngineOptions) {
    this.options = options;
    this.client = new ClientOutput((output) => this.emit(output));
    if (options.expectGreeting) this.commands.push({ keyword: '', reply: { kind: 'greeting' } });
  }

  /** Client-bound bytes queued behind a held body (for backpressure on the server socket). */
  get queuedClientBytes(): number {
    return this.client.pendingBytes;
  }

  fromClient(bytes: Buffer): void {
    let position = 0;
    while (position < bytes.length && !this.closing && !this.clientEnded) {
      const limit = this.clientLineLimit();
      const taken = this.clientLine.take(bytes, position, this.options.limits.pop3[limit]);
      if (taken.kind === 'tooLong') {
        return this.limitHit({ side: 'client', limit: `pop3.${limit}`, value: taken.maxLineBytes }, 'command line too long');
      }
      if (taken.kind === 'needMore') return;
      position = taken.next;
      this.onClientLine(taken.line);
    }
  }

  fromServer(bytes: Buffer): void {
    let position = 0;
    while (position < bytes.length && !this.closing) {
      position = this.readServer(bytes, position);
    }
  }

  scanned(bodyId: number, outcome: ScanOutcome): void {
    const body = this.awaitingScan.get(bodyId);
    if (body === undefined) return;
    this.awaitingScan.delete(bodyId);
    body.scanned(outcome.changed);
    if (outcome.changed && outcome.size !== body.contentBytes) {
      this.event('body-size-changed', { ...this.bodyFields(body), from: body.contentBytes, to: outcome.size });
      if (body.context.section === 'RETR' && body.context.seq !== undefined) this.deliveredSizes.record(body.context.seq, body.contentBytes, outcome.size);
    }
    this.client.flush(this.nowMs);
  }

  tick(nowMs: number): void {
    this.nowMs = nowMs;
    this.wakeRequestedFor = undefined;
    const body = this.client.front;
    if (body === undefined || (body.phase !== 'receiving' && body.phase !== 'scanning')) return;
    if (body.holdSinceMs === undefined) {
      body.holdSinceMs = nowMs;
      return;
    }
    const heldMs = nowMs - body.holdSinceMs;
    if (heldMs < this.options.maxHoldMs) return;
    if (body.phase === 'receiving') {
      // Still arriving from the server: the scan has not started, so stop holding and stream it.
      this.passUnscanned(body, 'hold-timeout');
      this.client.flush(nowMs);
    } else if (!body.scanTimeoutReported) {
      // Only the session knows scan.onError; it answers with scanned() (original or replacement).
      body.scanTimeoutReported = true;
      this.event('scan-timeout', { ...this.bodyFields(body), heldMs });
      this.emit({ kind: 'scanDeadline', bodyId: body.bodyId });
    }
  }

  bodyFailed(bodyId: number, reason: string): void {
    const body = this.awaitingScan.get(bodyId);
    if (body === undefined || this.closing) return;
    this.awaitingScan.delete(bodyId);
    this.event('body-failed', { ...this.bodyFields(body), reason });
    // A pipelining client may already have sent DELE for it; QUIT must not make that final.
    this.commitWithheld ??= reason;
    // Nothing of this reply has reached the client (it is held from its status line), so it can
    // still become a plain error reply; the message stays on the server.
    // The reason (paths, codes) goes to the event log only.
    if (this.client.replace(body, inboxguardError('the message could not be processed; it stays on the server'))) {
      this.emit({ kind: 'bodyRelease', bodyId });
      this.client.flush(this.nowMs);
      return;
    }
    this.protocolError('server', `body ${bodyId} failed after delivery started: ${reason}`, 'internal error');
  }

  end(side: 'client' | 'server'): void {
    if (this.closing) return;
    if (side === 'client') {
      this.clientEnded = true;
      this.clientLine.reset();
      if (this.commands.size === 0) this.closeAfterQueued('client closed the connection');
      return;
    }
    const reply = this.reply;
    if (reply.kind === 'body' && reply.body.phase === 'receiving') {
      // The client has not seen the +OK yet, so it can still be told plainly what happened.
      this.client.withdraw(reply.body);
      this.emit({ kind: 'bodyRelease', bodyId: reply.body.bodyId });
      this.event('protocol-error', { side: 'server', detail: 'connection closed inside a message' });
      this.client.send(inboxguardError('the server closed the connection before the end of the message'));
    } else if (reply.kind === 'status' && this.commands.size > 0) {
      this.client.send(inboxguardError('the server closed the connection'));
    }
    this.closeAfterQueued('server closed the connection');
  }

  drain(): EngineOutput[] {
    this.releaseGated();
    this.requestWakeUp();
    this.flushServerBound();
    if (this.bodiesAhead) {
      this.bodiesAhead = false;
      this.outputs.push(BODIES_AHEAD);
    }
    const outputs = this.outputs;
    this.outputs = [];
    return outputs;
  }

  // ── client side ────────────────────────────────────────────────────────────────────────────────

  private clientLineLimit(): 'saslResponseBytes' | 'commandLineBytes' {
    return this.sasl !== undefined && this.sasl.responsesOwed > 0 ? 'saslResponseBytes' : 'commandLineBytes';
  }

  private onClientLine(line: Buffer): void {
    const sasl = this.sasl;
    if (sasl === undefined) return this.onCommandLine(line);
    if (sasl.responsesOwed > 0) return this.sendSaslResponse(sasl, line);
    // Pipelined past an AUTH: whether this is a SASL response or the next command depends on the
    // server's answer to the AUTH, so keep it until then (RFC 5034 clients wait; this is rare).
    const held = this.options.limits.pop3.clientBytesHeldDuringAuth;
    if (sasl.undecidedBytes + line.length > held) {
      return this.limitHit({ side: 'client', limit: 'pop3.clientBytesHeldDuringAuth', value: held }, 'too much data sent during AUTH');
    }
    sasl.undecidedLines.push(Buffer.from(line));
    sasl.undecidedBytes += line.length;
  }

  private onCommandLine(line: Buffer): void {
    const outstanding = this.options.limits.pop3.commandsOutstanding;
    if (this.commands.size >= outstanding) {
      return this.limitHit({ side: 'client', limit: 'pop3.commandsOutstanding', value: outstanding }, 'too many pipelined commands');
    }
    const { keyword, args, text } = parseCommandLine(line);
    const command: TrackedCommand = { keyword, reply: replyShapeFor(keyword, args), ...deleTarget(keyword, args) };
    switch (keyword) {
      case 'USER':
        // The whole rest of the line: some servers accept user names with spaces.
        this.userNameFromUserCommand = args.length === 0 ? undefined : text.slice(text.indexOf(' ') + 1).trim();
        break;
      case 'PASS':
        command.login = { method: 'USER', user: this.userNameFromUserCommand };
        break;
      case 'APOP':
        command.login = { method: 'APOP', user: args.length >= 2 ? args.slice(0, -1).join(' ') : undefined };
        break;
    }
    if (command.reply.kind === 'sasl') {
      const mechanism = command.reply.mechanism;
      const initialResponse = args[1];
      command.login = {
        method: `AUTH ${mechanism}`,
        user: initialResponse === undefined ? undefined : saslUserName(mechanism, initialResponse),
      };
      this.sasl = {
        mechanism,
        login: command.login,
        responsesOwed: 0,
        responsesSent: initialResponse === undefined ? 0 : 1,
        undecidedLines: [],
        undecidedBytes: 0,
      };
    }
    this.commands.push(command);
    if (command.reply.kind === 'local') {
      this.event('command-refused', { command: keyword });
      this.answerLocalCommands();
      return;
    }
    // Not emitted here: an output between pipelined commands would split their one write to the server.
    if (BEFORE_BODIES.has(keyword)) this.bodiesAhead = true;
    this.toServer(line, keyword === 'QUIT' ? command : undefined);
  }

  /** While the client waits for a held reply, asks to be ticked when its hold deadline is due. */
  private requestWakeUp(): void {
    const body = this.client.front;
    if (this.closing || body === undefined || body.scanTimeoutReported || (body.phase !== 'receiving' && body.phase !== 'scanning')) return;
    const due = body.holdSinceMs === undefined || this.nowMs === undefined ? -1 : body.holdSinceMs + this.options.maxHoldMs;
    if (due === this.wakeRequestedFor) return;
    this.wakeRequestedFor = due;
    this.emit({ kind: 'wakeUp', afterMs: due === -1 || this.nowMs === undefined ? 0 : Math.max(0, due - this.nowMs) });
  }

  /** Forwards a client line, unless a QUIT is waiting for delivery: then it waits behind it, in order. */
  private toServer(line: Buffer, commit: TrackedCommand | undefined): void {
    if (commit === undefined && this.gated.length === 0) {
      this.emit({ kind: 'toServer', bytes: line });
      return;
    }
    this.gated.push({ bytes: Buffer.from(line), commit });
  }

  /**
   * A gated QUIT leaves once every earlier command is answered and every reply is out of the client
   * output (the session still waits until those bytes are written before forwarding it).
   */
  private releaseGated(): void {
    // A client that has gone never gets its QUIT forwarded: the server keeps the mail.
    if (this.clientEnded) this.gated = [];
    while (this.gated.length > 0 && !this.closing) {
      const head = this.gated[0];
      if (head.commit !== undefined) {
        if (this.commands.first !== head.commit || !this.client.idle) return;
        if (this.commitWithheld !== undefined) return this.withholdQuit(this.commitWithheld);
        this.flushServerBound();
        this.outputs.push({ kind: 'commitToServer', bytes: head.bytes });
      } else {
        this.emit({ kind: 'toServer', bytes: head.bytes });
      }
      this.gated.shift();
    }
  }

  private sendSaslResponse(sasl: SaslExchange, line: Buffer): void {
    sasl.responsesOwed -= 1;
    if (sasl.responsesSent === 0) {
      sasl.login.user ??= saslUserName(sasl.mechanism, line.toString('latin1'));
    }
    sasl.responsesSent += 1;
    this.toServer(line, undefined);
  }

  /** Commands the proxy answers itself (STLS) get their reply once everything before them is answered. */
  private answerLocalCommands(): void {
    for (let head = this.commands.first; head?.reply.kind === 'local'; head = this.commands.first) {
      this.client.send(head.reply.reply);
      this.commands.shift();
    }
  }

  /**
   * Answers QUIT without forwarding it and closes: the server never enters UPDATE, so nothing is
   * deleted (RFC 1939 §6; -ERR is QUIT's answer when deletions were not made).
   */
  private withholdQuit(reason: string): void {
    this.gated = [];
    this.commands.shift();
    this.event('quit-withheld', { reason });
    this.client.send(inboxguardError('a message could not be delivered, so nothing was deleted'));
    this.closeAfterQueued(`QUIT withheld: ${reason}`);
  }

  // ── server side ────────────────────────────────────────────────────────────────────────────────

  /** Consumes server bytes from `position` for the reply being read; returns the new position. */
  private readServer(bytes: Buffer, position: number): number {
    const reply = this.reply;
    switch (reply.kind) {
      case 'status': {
        const taken = this.serverLine.take(bytes, position, this.options.limits.pop3.statusLineBytes);
        if (taken.kind === 'tooLong') {
          this.limitHit({ side: 'server', limit: 'pop3.statusLineBytes', value: taken.maxLineBytes }, 'the server sent an invalid reply');
          return bytes.length;
        }
        if (taken.kind === 'needMore') return bytes.length;
        this.onStatusLine(taken.line);
        return taken.next;
      }
      case 'passThrough': {
        const read = reply.reader.push(bytes, position, false);
        this.client.send(bytes.subarray(position, read.end));
        if (read.done) this.finishReply();
        return read.end;
      }
      case 'filtered':
        return this.readFilteredLines(reply, bytes, position);
      case 'body':
        return this.readBody(reply.body, bytes, position);
    }
  }

  private onStatusLine(line: Buffer): void {
    const command = this.commands.first;
    const status = replyStatus(line);
    if (command === undefined) {
      // Servers announce a disconnect with an unsolicited -ERR; anything else could pose as the reply to
      // a command the client has not sent yet.
      if (status === 'err') return this.client.send(line);
      return this.protocolError('server', 'data the client did not ask for', 'the server sent an unexpected reply');
    }
    const shape = command.reply;
    if (status === 'invalid' || (status === 'continue' && shape.kind !== 'sasl')) {
      return this.protocolError('server', `invalid reply to ${command.keyword || 'the connection'}`, 'the server sent an invalid reply');
    }
    if (status === 'continue') {
      this.client.send(line);
      return this.onSaslChallenge();
    }
    if (status === 'err' || shape.kind === 'single' || shape.kind === 'greeting' || shape.kind === 'sasl') {
      if (command.keyword === 'UIDL' && status === 'ok') this.uidls.note(line.subarray(4));
      this.client.send(this.deliveredSizes.statusLine(command, line, status === 'ok'));
      this.noteLogin(command, status === 'ok');
      return this.finishReply();
    }
    switch (shape.kind) {
      case 'multi':
        this.client.send(line);
        if (command.keyword === 'LIST' && this.deliveredSizes.changed) {
          this.reply = { kind: 'filtered', reader: new MultiLineReader(this.options.limits.pop3.multiLineBytes), filter: (listed) => ({ line: this.deliveredSizes.listingLine(listed), removed: [] }), removed: [] };
          return;
        }
        if (command.keyword === 'UIDL') {
          const note = (listed: Buffer) => (this.uidls.note(listed), { line: listed, removed: [] });
          this.reply = { kind: 'filtered', reader: new MultiLineReader(this.options.limits.pop3.multiLineBytes), filter: note, removed: [] };
          return;
        }
        this.reply =
          shape.filter === undefined
            ? { kind: 'passThrough', reader: new DotUnstuffer() }
            : {
                kind: 'filtered',
                reader: new MultiLineReader(this.options.limits.pop3.multiLineBytes),
                filter: shape.filter === 'capabilities' ? filterCapabilityLine : filterMechanismLine,
                removed: [],
              };
        return;
      case 'body':
        return this.startBody(shape.section, shape.messageNumber, line);
      case 'local':
        // Unreachable: local commands are answered before they can head the queue for a server reply.
        return this.protocolError('server', 'reply to a command that was not forwarded', 'internal error');
    }
  }

  private onSaslChallenge(): void {
    const sasl = this.sasl;
    if (sasl === undefined) return;
    sasl.responsesOwed += 1;
    const early = sasl.undecidedLines.shift();
    if (early === undefined) return;
    sasl.undecidedBytes -= early.length;
    this.sendSaslResponse(sasl, early);
  }

  private finishReply(): void {
    const finished = this.commands.shift();
    this.reply = { kind: 'status' };
    if (finished?.reply.kind === 'sasl' && this.sasl !== undefined) {
      const undecided = this.sasl.undecidedLines;
      this.sasl = undefined;
      // The exchange is over, so what the client sent meanwhile were commands.
      for (const line of undecided) {
        if (this.closing) break;
        this.onClientLine(line);
      }
    }
    this.answerLocalCommands();
    if (this.clientEnded && this.commands.size === 0) this.closeAfterQueued('client closed the connection');
  }

  private noteLogin(command: TrackedCommand, ok: boolean): void {
    const login = command.login;
    if (login === undefined) return;
    if (ok) this.user = login.user;
    this.event('login', { method: login.method, ...(login.user === undefined ? {} : { user: login.user }), ok });
  }

  private readFilteredLines(reply: Extract<ReplyReader, { kind: 'filtered' }>, bytes: Buffer, position: number): number {
    const read = reply.reader.push(bytes, position, (line) => {
      const filtered = reply.filter(line);
      reply.removed.push(...filtered.removed);
      if (filtered.line !== undefined) this.client.send(filtered.line);
    });
    if (read.kind === 'tooLong') {
      this.limitHit({ side: 'server', limit: 'pop3.multiLineBytes', value: read.maxLineBytes }, 'the server sent an invalid reply');
      return bytes.length;
    }
    if (read.terminator !== undefined) {
      this.client.send(read.terminator);
      if (reply.removed.length > 0) this.event('capabilities-filtered', { removed: reply.removed });
      this.finishReply();
    }
    return read.end;
  }

  // ── bodies ─────────────────────────────────────────────────────────────────────────────────────

  private startBody(section: 'RETR' | 'TOP', messageNumber: number | undefined, statusLine: Buffer): void {
    const context: BodyContext = { protocol: 'pop3', section };
    if (messageNumber !== undefined) context.seq = messageNumber;
    const uidl = this.uidls.of(messageNumber);
    if (uidl !== undefined) context.uidl = uidl;
    if (this.user !== undefined) context.user = this.user;
    if (section === 'TOP') context.truncated = true;
    const body = new HeldBody(this.nextBodyId++, context, Buffer.from(statusLine));
    this.emit({ kind: 'bodyBegin', bodyId: body.bodyId, context, size: section === 'RETR' ? announcedOctets(statusLine) : undefined });
    this.reply = { kind: 'body', body };
    this.client.hold(body, this.nowMs);
  }

  private readBody(body: HeldBody, bytes: Buffer, position: number): number {
    if (body.phase === 'streaming') {
      const read = body.reader.push(bytes, position, false);
      this.client.send(bytes.subarray(position, read.end));
      if (read.done) {
        this.emit({ kind: 'bodyRelease', bodyId: body.bodyId });
        this.finishReply();
      }
      return read.end;
    }
    const read = body.reader.push(bytes, position, true);
    if (read.content !== undefined) {
      body.contentBytes += read.content.length;
      this.emit({ kind: 'bodyData', bodyId: body.bodyId, bytes: read.content });
      if (body.unscanned === undefined && body.contentBytes > this.options.maxScanBytes) {
        this.passUnscanned(body, 'too-large');
      }
    }
    if (read.done) {
      body.complete();
      if (body.unscanned === undefined) {
        this.awaitingScan.set(body.bodyId, body);
        this.emit({ kind: 'bodyEnd', bodyId: body.bodyId });
      }
      this.finishReply();
    }
    this.client.flush(this.nowMs);
    return read.end;
  }

  /**
   * The body will not be scanned. If the client is waiting for it, it streams from here on; if it is
   * behind another held reply, its content keeps going to the session (which spools it) until its turn.
   */
  private passUnscanned(body: HeldBody, reason: UnscannedReason): void {
    body.unscanned = reason;
    const limit = reason === 'too-large' ? { maxScanBytes: this.options.maxScanBytes } : { maxHoldMs: this.options.maxHoldMs };
    this.event('body-unscanned', { ...this.bodyFields(body), reason, ...limit });
  }

  private bodyFields(body: HeldBody): Record<string, unknown> {
    const fields: Record<string, unknown> = { bodyId: body.bodyId, section: body.context.section };
    if (body.context.seq !== undefined) fields.seq = body.context.seq;
    return fields;
  }

  // ── outputs ────────────────────────────────────────────────────────────────────────────────────

  /** A peer went past a limit: reported as a typed output, answered like any other protocol error. */
  private limitHit(hit: LimitHit, clientText: string): void {
    this.emit({ kind: 'protocolError', ...hit });
    this.client.send(inboxguardError(clientText));
    this.closeAfterQueued(`${hit.side} exceeded ${hit.limit} (${hit.value})`);
  }

  private protocolError(side: 'client' | 'server', detail: string, clientText: string): void {
    this.event('protocol-error', { side, detail });
    this.client.send(inboxguardError(clientText));
    this.closeAfterQueued(side === 'server' ? `server protocol error: ${detail}` : `client protocol error: ${detail}`);
  }

  private closeAfterQueued(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.client.close(reason, this.nowMs);
  }

  private event(type: string, fields: Record<string, unknown>): void {
    const listener = this.options.listener === undefined ? {} : { listener: this.options.listener };
    this.emit({ kind: 'event', event: { type, protocol: 'pop3', ...listener, ...fields } });
  }

  /** Consecutive server-bound bytes (a pipelined burst) leave as one write. */
  private emit(output: EngineOutput): void {
    if (output.kind === 'toServer') {
      this.serverBound.push(output.bytes);
      return;
    }
    this.flushServerBound();
    this.outputs.push(output);
  }

  private flushServerBound(): void {
    if (this.serverBound.length === 0) return;
    const bytes = this.serverBound.length === 1 ? this.serverBound[0] : Buffer.concat(this.serverBound);
    this.serverBound = [];
    this.outputs.push({ kind: 'toServer', bytes });
  }
}

/** "+OK 1234 octets" (RFC 1939's RETR example, what Dovecot and most servers send): the size, a hint only. */
function announcedOctets(statusLine: Buffer): number | undefined {
  const match = /^\+OK (\d{1,12}) octets/i.exec(statusLine.toString('latin1', 0, Math.min(statusLine.length, 64)));
  return match ? Number(match[1]) : undefined;
}
