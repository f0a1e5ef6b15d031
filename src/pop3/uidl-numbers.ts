// Which unique-id listing (RFC 1939 §7 UIDL) the server gave for each message number of the session, so a
// message the proxy had to let go of (a late analysis verdict) can be named by the id clients keep.
// Read from the server's answers to the client's own UIDL commands; the proxy never asks itself.

/** unique-id = 1*70 printable characters 0x21–0x7E (RFC 1939 §7). */
const UIDL_LINE = /^(\d{1,10}) ([\x21-\x7e]{1,70})\r?\n?$/;
const MAX_MESSAGES = 1_000_000;

export class UidlNumbers {
  private readonly ids = new Map<number, string>();

  /** A line of the UIDL listing, or the text after `+OK ` of `UIDL n`. */
  note(line: Buffer | string): void {
    const match = UIDL_LINE.exec(typeof line === 'string' ? line : line.toString('latin1'));
    if (!match || (this.ids.size >= MAX_MESSAGES && !this.ids.has(Number(match[1])))) return;
    this.ids.set(Number(match[1]), match[2]);
  }

  of(messageNumber: number | undefined): string | undefined {
    return messageNumber === undefined ? undefined : this.ids.get(messageNumber);
  }
}
