import { bigMessage, prng } from '../../test/helpers/messages.js';

/** A reproducible mailbox of `count` messages with log-uniform sizes between minBytes and maxBytes. */
export function benchMailbox(count = 300, minBytes = 5 * 1024, maxBytes = 5 * 1024 * 1024, seed = 7): Buffer[] {
  const random = prng(seed);
  const messages: Buffer[] = [];
  for (let index = 0; index < count; index++) {
    const size = Math.round(Math.exp(Math.log(minBytes) + random() * (Math.log(maxBytes) - Math.log(minBytes))));
    messages.push(bigMessage(size, { kind: index % 2 === 0 ? 'base64' : 'text' }));
  }
  return messages;
}

/**
 * Dovecot accounts (password "secret") that each hold the same messages, for startDovecot: a proxy finds
 * a message clean once and does not scan it again (issue #15), so a fetch meant to be a first one reads
 * an account no earlier fetch read.
 */
export function sameMailboxAccounts(names: readonly string[], messages: Buffer[]): { users: { name: string; password: string }[]; messages: Record<string, Buffer[]> } {
  return { users: names.map((name) => ({ name, password: 'secret' })), messages: Object.fromEntries(names.map((name) => [name, messages])) };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
