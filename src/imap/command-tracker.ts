import type { ImapLimits, LimitHit } from '../protocol/limits.js';
import { SP, latin1, lineEndStart, upperWord, wordEnd } from './ascii.js';
import { readAstring } from './astring.js';
import { parseFetchCommand, type FetchCommand } from './fetch-command.js';
import { LineFramer, type FramerSink } from './line-framer.js';
import { literalAtLineEnd, type LiteralHeader } from './literal-header.js';
import type { FetchPlan, FetchRequest } from './partial-fetch.js';
import { IdCollector, type ClientId } from './id-command.js';
import { saslIdentity } from './sasl-identity.js';

// Follows the client's side of the conversation (RFC 3501 §2.2, §6; RFC 7888 LITERAL+/-): tags,
// literals, and the stretches where client lines are not commands (AUTHENTICATE exchanges, IDLE
// until DONE). Client bytes are forwarded line by line as soon as a line is complete; literal
// content (APPEND messages) streams through as it arrives.
//
// It reads just enough to know the login user (never the password), the mailbox being selected,
// and which FETCH commands ask for partial body sections, and it answers STARTTLS and COMPRESS
// itself.

export interface CommandRecord {
  tag: string;
  /** Upper-cased command name; `UID FETCH` is recorded as FETCH. */
  verb: string;
  user?: string;
  mailbox?: string;
  /** UIDVALIDITY reported while this SELECT/EXAMINE was running. */
  uidValidity?: string;
  fetch?: FetchRequest;
}

/** Commands that remove messages from the mailbox for good (RFC 9051 §6.4.3, §6.4.8; RFC 6851). */
const COMMIT_VERBS = new Set(['EXPUNGE', 'CLOSE', 'MOVE']);
/** Verbs clients repeat all the time, read without making a string each time (the commonest first). */
const KNOWN_VERBS: readonly string[] = ['NOOP', 'UID', 'FETCH', 'IDLE', 'STATUS', 'SEARCH', 'STORE', 'SELECT', 'EXAMINE', 'LIST', 'LSUB', 'CHECK', 'LOGIN', 'LOGOUT', 'APPEND', 'COPY', 'MOVE', 'EXPUNGE', 'CLOSE', 'CAPABILITY'];

export interface CommandTrackerHooks {
  /** `commit`: this line starts a command that deletes messages (EXPUNGE, UID EXPUNGE, CLOSE, MOVE, UID MOVE). */
  toServer(bytes: Buffer, commit?: boolean): void;
  /** A command the engine answers itself with this complete response line (without CRLF). */
  answerLocally(tag: string, response: string, command: string): void;
  commandSent(record: CommandRecord): void;
  planFetch(tag: string, line: Buffer, command: FetchCommand): FetchPlan;
  /** Commands sent and not completed, plus answers the engine still owes (for the pipelining limit). */
  commandsOutstanding(): number;
  /** The client went past a limit; the tracker has stopped reading and the engine ends the session. */
  refuse(hit: LimitHit): void;
  /** The client went past a limit that only costs it a feature (ID beyond imap.idBytes: not identified). */
  report(hit: LimitHit): void;
  /** The client identified itself with ID (RFC 2971). */
  clientId(id: ClientId): void;
  /** A client command is about to go upstream (the engine may send its own commands first). */
  beforeCommand?(verb: string, uid: boolean): void;
  /** The client ended its IDLE; true when the engine takes the DONE itself (it had interrupted the IDLE). */
  takeIdleDone?(): boolean;
}

type Mode = 'command' | 'idle' | 'authenticate';

interface CommandInProgress {
  record: CommandRecord;
  /** Capture the literal that follows as this field (LOGIN user name, SELECT mailbox name). */
  capture?: 'user' | 'mailbox';
  syncLiteral: boolean;
}

interface AuthExchange {
  record: CommandRecord;
  mechanism: string;
  needsFirstResponse: boolean;
}

const MAX_CAPTURE = 1024;

export class CommandTracker implements FramerSink {
  private readonly framer: LineFramer;
  private mode: Mode = 'command';
  private current: CommandInProgress | undefined;
  private idleTag: string | undefined;
  private auth: AuthExchange | undefined;
  private captureParts: Buffer[] | undefined;
  private captureLength = 0;
  /** Collects an ID command that continues after literals. */
  private id: IdCollector | undefined;

  constructor(
    private readonly hooks: CommandTrackerHooks,
    private readonly limits: ImapLimits,
  ) {
    this.framer = new LineFramer(this, limits[this.lineLimit()]);
  }

  push(chunk: Buffer): void {
    this.framer.push(chunk);
  }

  /** The server completed a command: ends IDLE/AUTHENTICATE, or a synchronizing literal it refused. */
  onTaggedResponse(tag: string): void {
    if (this.mode === 'idle' && this.idleTag === tag) {
      this.setMode('command');
      this.idleTag = undefined;
    }
    if (this.mode === 'authenticate' && this.auth?.record.tag === tag) {
      this.setMode('command');
      this.auth = undefined;
    }
    const current = this.current;
    if (current && current.record.tag === tag && current.syncLiteral && this.framer.inLiteral && this.framer.literalBytesSeen === 0) {
      // The server refused the command before its `+`; the client will not send the literal.
      this.framer.cancelLiteral();
      this.current = undefined;
      this.id = undefined;
      this.resetCapture();
    }
  }

  onLine(line: Buffer): number {
    switch (this.mode) {
      case 'idle': {
        const done = /^DONE\r?\n$/i.test(latin1(line, 0, Math.min(line.length, 8)));
        if (!done || !this.hooks.takeIdleDone?.()) this.hooks.toServer(line);
        if (done) {
          this.setMode('command');
          this.idleTag = undefined;
        }
        return -1;
      }
      case 'authenticate':
        this.hooks.toServer(line);
        this.authenticationResponse(line);
        return -1;
      case 'command':
        return this.current ? this.continuation(line) : this.newCommand(line);
    }
  }

  onLiteralData(chunk: Buffer): void {
    this.hooks.toServer(chunk);
    this.feedId((id) => id.literal(chunk));
    if (this.current?.capture && this.captureLength < MAX_CAPTURE) {
      const take = chunk.subarray(0, MAX_CAPTURE - this.captureLength);
      (this.captureParts ??= []).push(Buffer.from(take));
      this.captureLength += take.length;
    }
  }

  onLiteralEnd(): void {
    this.id?.literalEnd();
    const current = this.current;
    if (current?.capture) {
      const value = Buffer.concat(this.captureParts ?? []).toString('utf8');
      if (current.capture === 'user') current.record.user = value;
      else current.record.mailbox = value;
      current.capture = undefined;
    }
    this.resetCapture();
  }

  onOverlongLine(maxLineBytes: number): void {
    this.hooks.refuse({ side: 'client', limit: `imap.${this.lineLimit()}`, value: maxLineBytes });
  }

  /** AUTHENTICATE responses have their own limit; every other client line is a command line. */
  private lineLimit(): 'saslResponseBytes' | 'clientLineBytes' {
    return this.mode === 'authenticate' ? 'saslResponseBytes' : 'clientLineBytes';
  }

  /** The framer applies the line limit of the new mode from the next line on. */
  private setMode(mode: Mode): void {
    this.mode = mode;
    this.framer.maxLineBytes = this.limits[this.lineLimit()];
  }

  /** A literal announced beyond the limit ends the session before its line reaches the server. */
  private literalTooLarge(literal: LiteralHeader | null): boolean {
    if (literal === null || literal.size <= this.limits.clientLiteralBytes) return false;
    this.refuse({ side: 'client', limit: 'imap.clientLiteralBytes', value: this.limits.clientLiteralBytes });
    return true;
  }

  private refuse(hit: LimitHit): void {
    this.framer.stop();
    this.hooks.refuse(hit);
  }

  /** Feeds the ID command being read, if any; past imap.idBytes the collector is dropped and the hit reported once. */
  private feedId(feed: (id: IdCollector) => void): void {
    const id = this.id;
    if (id === undefined) return;
    feed(id);
    if (!id.overLimit) return;
    this.id = undefined;
    this.hooks.report({ side: 'client', limit: 'imap.idBytes', value: this.limits.idBytes });
  }

  private resetCapture(): void {
    this.captureParts = undefined;
    this.captureLength = 0;
  }

  private continuation(line: Buffer): number {
    const current = this.current;
    const literal = literalAtLineEnd(line, true);
    if (this.literalTooLarge(literal)) return -1;
    this.hooks.toServer(line);
    this.feedId((id) => id.text(line));
    if (!current || !literal) {
      this.current = undefined;
      this.finishId();
      return -1;
    }
    current.syncLiteral = !literal.nonSync;
    return literal.size;
  }

  private newCommand(line: Buffer): number {
    const literal = literalAtLineEnd(line, true);
    if (this.literalTooLarge(literal)) return -1;
    const tagEnd = wordEnd(line, 0);
    if (tagEnd === 0 || line[tagEnd] !== SP) {
      // Not a command we can read (an empty line, say): pass it on.
      this.hooks.toServer(line);
      return this.afterForward({ tag: '', verb: '' }, literal, undefined);
    }
    const tag = latin1(line, 0, tagEnd);
    if (this.hooks.commandsOutstanding() >= this.limits.commandsOutstanding) {
      this.refuse({ side: 'client', limit: 'imap.commandsOutstanding', value: this.limits.commandsOutstanding });
      return -1;
    }
    let verbStart = tagEnd + 1;
    let verbEnd = wordEnd(line, verbStart);
    let verb = upperWord(line, verbStart, verbEnd, KNOWN_VERBS);
    let uid = false;
    if (verb === 'UID' && line[verbEnd] === SP) {
      uid = true;
      verbStart = verbEnd + 1;
      verbEnd = wordEnd(line, verbStart);
      verb = upperWord(line, verbStart, verbEnd, KNOWN_VERBS);
    }
    const argsStart = line[verbEnd] === SP ? verbEnd + 1 : verbEnd;
    const record: CommandRecord = { tag, verb };

    if (!uid && !literal && (verb === 'STARTTLS' || verb === 'COMPRESS')) {
      if (verb === 'STARTTLS') this.hooks.answerLocally(tag, `${tag} BAD inboxguard: STARTTLS is not available at this point`, verb);
      else this.hooks.answerLocally(tag, `${tag} NO inboxguard: COMPRESS is not supported through the scanning proxy`, verb);
      return -1;
    }

    let capture: CommandInProgress['capture'];
    let toSend = line;
    switch (verb) {
      case 'LOGIN': {
        const user = readAstring(line, argsStart);
        if (user === 'literal') capture = 'user';
        else record.user = user;
        break;
      }
      case 'SELECT':
      case 'EXAMINE': {
        const mailbox = readAstring(line, argsStart);
        if (mailbox === 'literal') capture = 'mailbox';
        else record.mailbox = mailbox;
        break;
      }
      case 'AUTHENTICATE':
        this.startAuthentication(record, line, argsStart);
        break;
      case 'ID':
        if (uid) break;
        this.id = new IdCollector(this.limits.idBytes);
        this.feedId((id) => id.text(line.subarray(argsStart)));
        break;
      case 'IDLE':
        this.setMode('idle');
        this.idleTag = tag;
        break;
      case 'FETCH': {
        if (literal) break; // items continue after a literal: not rewritten, partial answers are reported
        const command = parseFetchCommand(line, argsStart, uid);
        if (!command) break;
        const plan = this.hooks.planFetch(tag, line, command);
        record.fetch = plan.request;
        if (plan.rewritten) toSend = plan.rewritten;
        break;
      }
    }
    this.hooks.beforeCommand?.(verb, uid);
    this.hooks.toServer(toSend, COMMIT_VERBS.has(verb));
    return this.afterForward(record, literal, capture);
  }

  private afterForward(record: CommandRecord, literal: LiteralHeader | null, capture: CommandInProgress['capture']): number {
    if (record.tag !== '') this.hooks.commandSent(record);
    if (!literal) {
      this.finishId();
      return -1;
    }
    this.current = { record, capture, syncLiteral: !literal.nonSync };
    return literal.size;
  }

  /** Bytes of an incomplete command line, taken away (the engine forwards them itself from now on). */
  takePartialLine(): Buffer | undefined {
    return this.framer.takePartialLine();
  }

  private finishId(): void {
    const collector = this.id;
    this.id = undefined;
    const id = collector?.finish();
    if (id) this.hooks.clientId(id);
  }

  private startAuthentication(record: CommandRecord, line: Buffer, argsStart: number): void {
    const mechEnd = wordEnd(line, argsStart);
    const mechanism = latin1(line, argsStart, mechEnd).toUpperCase();
    let needsFirstResponse = true;
    if (line[mechEnd] === SP) {
      // SASL-IR (RFC 4959): the first client response is on the command line.
      const irEnd = wordEnd(line, mechEnd + 1);
      record.user = saslIdentity(mechanism, latin1(line, mechEnd + 1, irEnd));
      needsFirstResponse = false;
    }
    this.setMode('authenticate');
    this.auth = { record, mechanism, needsFirstResponse };
  }

  private authenticationResponse(line: Buffer): void {
    const auth = this.auth;
    if (!auth?.needsFirstResponse) return;
    auth.needsFirstResponse = false;
    auth.record.user = saslIdentity(auth.mechanism, latin1(line, 0, lineEndStart(line)));
  }
}
