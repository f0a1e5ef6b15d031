// POP3 sizes the client is told after a rewrite changed a message's size: STAT (RFC 1939 §5: count and
// total octets of the messages not marked deleted), "LIST n" and each line of a LIST listing report what
// RETR delivered, not what the server holds. fetchmail, for one, compares LIST with what RETR returns.
//
// Only replies read after the rewrite is settled are corrected: a LIST pipelined behind a RETR whose scan
// is still running has already been framed with the server's number.

const STATUS_WITH_SIZE = /^(\+OK[ \t]+)(\d{1,15})([ \t]+)(\d{1,15})(.*)$/s;
const LISTING_LINE = /^(\d{1,15})([ \t]+)(\d{1,15})(.*)$/s;

/** The message number a DELE names, kept with the command (the arguments themselves are not). */
export function deleTarget(keyword: string, args: readonly string[]): { deletes?: number } {
  return keyword === 'DELE' && args.length > 0 && /^\d{1,15}$/.test(args[0]) ? { deletes: Number(args[0]) } : {};
}

export class DeliveredSizes {
  /** Message number → octets delivered minus octets the server sent, for RETR bodies that were rewritten. */
  private readonly changes = new Map<number, number>();
  private readonly deleted = new Set<number>();

  get changed(): boolean {
    return this.changes.size > 0;
  }

  record(messageNumber: number, serverBytes: number, deliveredBytes: number): void {
    if (deliveredBytes === serverBytes) this.changes.delete(messageNumber);
    else this.changes.set(messageNumber, deliveredBytes - serverBytes);
  }

  /** A single-line reply on its way to the client: DELE and RSET are noted, STAT and "LIST n" corrected. */
  statusLine(command: { keyword: string; deletes?: number }, line: Buffer, ok: boolean): Buffer {
    if (!ok) return line;
    switch (command.keyword) {
      case 'DELE':
        if (command.deletes !== undefined) this.deleted.add(command.deletes);
        return line;
      case 'RSET':
        this.deleted.clear();
        return line;
      case 'STAT':
        return this.changed ? this.rewrite(line, STATUS_WITH_SIZE, (_, total) => total + this.totalChange()) : line;
      case 'LIST':
        return this.changed ? this.rewrite(line, STATUS_WITH_SIZE, (number, size) => size + (this.changes.get(number) ?? 0)) : line;
      default:
        return line;
    }
  }

  /** One "n size" line of a LIST listing (never dot-stuffed: it starts with a digit). */
  listingLine(line: Buffer): Buffer {
    return this.rewrite(line, LISTING_LINE, (number, size) => size + (this.changes.get(number) ?? 0));
  }

  private totalChange(): number {
    let total = 0;
    for (const [number, change] of this.changes) if (!this.deleted.has(number)) total += change;
    return total;
  }

  /** Replaces the second number of the line; the line stays as it was when it does not parse. */
  private rewrite(line: Buffer, pattern: RegExp, corrected: (first: number, second: number) => number): Buffer {
    const text = line.toString('latin1');
    const parsed = pattern.exec(text);
    if (parsed === null) return line;
    const groups = parsed.slice(1);
    const numberIndex = groups.length === 5 ? 1 : 0;
    const first = Number(groups[numberIndex]);
    const second = Number(groups[numberIndex + 2]);
    const value = Math.max(0, corrected(first, second));
    if (value === second) return line;
    groups[numberIndex + 2] = String(value);
    return Buffer.from(groups.join(''), 'latin1');
  }
}
