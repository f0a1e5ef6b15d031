// A hold registry for tests of the control endpoint and `inboxguard holds`: it holds no message, it only
// lists the holds a test gives it and records what release and block were asked. The proxy's real
// registry (scan pipeline, #14) implements the same HoldControl.
import type { HoldControl, HoldInfo } from '../../src/types/holds.js';

export class TestHoldRegistry implements HoldControl {
  private readonly holds = new Map<string, HoldInfo>();
  readonly released: string[] = [];
  readonly blocked: string[] = [];

  constructor(holds: HoldInfo[] = []) {
    for (const hold of holds) this.holds.set(hold.id, hold);
  }

  list(): HoldInfo[] {
    return [...this.holds.values()];
  }

  release(id: string): boolean {
    if (!this.holds.delete(id)) return false;
    this.released.push(id);
    return true;
  }

  block(id: string): boolean {
    if (!this.holds.delete(id)) return false;
    this.blocked.push(id);
    return true;
  }
}

export function sampleHolds(): HoldInfo[] {
  return [
    {
      id: 'h1',
      protocol: 'imap',
      session: 7,
      listener: 'work',
      upstream: 'imap.example.com:993',
      user: 'alice',
      mailbox: 'INBOX',
      uidValidity: '1700000000',
      uid: 42,
      subject: 'Quarterly report',
      parts: [{ name: 'report.docm', sha256: 'a'.repeat(64) }],
      backends: ['sandbox'],
      since: '2026-12-07T01:00:00.123Z',
      timeLeftSeconds: 95.4,
    },
    {
      id: 'h2',
      protocol: 'pop3',
      session: 12,
      listener: 'home',
      upstream: 'pop.example.net:995',
      user: 'bob@example.net',
      messageNumber: 3,
      subject: 'invoice\u001b[31m',
      parts: [{ name: 'invoice.pdf', sha256: 'b'.repeat(64) }, { name: 'scan.zip', sha256: 'c'.repeat(64) }],
      backends: ['icap', 'yara'],
      since: '2026-12-07T01:01:00.000Z',
      timeLeftSeconds: 12,
    },
  ];
}
