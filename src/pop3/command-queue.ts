// Client commands in the order the server will answer them (RFC 1939 §3, RFC 2449 §6.6 PIPELINING),
// each with the shape of the reply it expects, so that server bytes can be framed without guessing.

/**
 * How the server's reply to a command is framed. `-ERR` is always a single line.
 * - single: one status line.
 * - multi: `+OK` line, then lines up to "."; `filter` names lines the proxy must rewrite.
 * - body: `+OK` line, then a message (RETR) or its headers and first lines (TOP) up to ".".
 * - sasl: AUTH exchange (RFC 5034): "+ …" challenges, each answered by one client line, until +OK/-ERR.
 * - local: the proxy answers itself with `reply` and does not forward the command.
 * - greeting: the server's first line, a single line.
 */
export type ReplyShape =
  | { kind: 'single' }
  | { kind: 'multi'; filter?: 'capabilities' | 'mechanisms' }
  | { kind: 'body'; section: 'RETR' | 'TOP'; messageNumber: number | undefined }
  | { kind: 'sasl'; mechanism: string }
  | { kind: 'local'; reply: Buffer }
  | { kind: 'greeting' };

/** Arguments are not kept: they may be credentials (PASS, AUTH initial responses). */
export interface Pop3Command {
  /** Upper-cased keyword, "" for the greeting. */
  readonly keyword: string;
  readonly reply: ReplyShape;
}

export const STLS_REFUSAL = Buffer.from('-ERR inboxguard: STLS is not available at this point\r\n', 'latin1');

/** The text of a command line without its line ending, split into keyword and arguments. */
export function parseCommandLine(line: Buffer): { keyword: string; args: string[]; text: string } {
  const text = line.toString('latin1').replace(/\r?\n$/, '');
  // Empty arguments are dropped: "LIST " is LIST without an argument, as servers read it.
  const words = text.split(' ').filter((word) => word.length > 0);
  return { keyword: (words[0] ?? '').toUpperCase(), args: words.slice(1), text };
}

function messageNumber(arg: string | undefined): number | undefined {
  return arg !== undefined && /^\d{1,15}$/.test(arg) ? Number(arg) : undefined;
}

/**
 * Multi-line on +OK: RETR, TOP, LIST and UIDL without argument (RFC 1939), CAPA (RFC 2449), LANG
 * without argument (RFC 6856 §4). AUTH without argument is not in RFC 5034, but servers that accept it
 * (Dovecot, Exchange; "old-style SASL discovery" used by Outlook) answer with a mechanism list, one per
 * line. Everything else, including unknown commands, is single-line.
 */
export function replyShapeFor(keyword: string, args: readonly string[]): ReplyShape {
  switch (keyword) {
    case 'RETR':
      return { kind: 'body', section: 'RETR', messageNumber: messageNumber(args[0]) };
    case 'TOP':
      return { kind: 'body', section: 'TOP', messageNumber: messageNumber(args[0]) };
    case 'LIST':
    case 'UIDL':
    case 'LANG':
      return args.length === 0 ? { kind: 'multi' } : { kind: 'single' };
    case 'CAPA':
      return { kind: 'multi', filter: 'capabilities' };
    case 'AUTH':
      return args.length === 0
        ? { kind: 'multi', filter: 'mechanisms' }
        : { kind: 'sasl', mechanism: args[0].toUpperCase() };
    case 'STLS':
      return { kind: 'local', reply: STLS_REFUSAL };
    default:
      return { kind: 'single' };
  }
}

/** FIFO of commands awaiting their reply. A head index keeps shift() O(1) for long pipelines. */
export class CommandQueue<Command extends Pop3Command = Pop3Command> {
  private items: Command[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  get first(): Command | undefined {
    return this.items[this.head];
  }

  get last(): Command | undefined {
    return this.size === 0 ? undefined : this.items[this.items.length - 1];
  }

  push(command: Command): void {
    this.items.push(command);
  }

  shift(): Command | undefined {
    const command = this.items[this.head];
    if (command === undefined) return undefined;
    this.head += 1;
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return command;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
