// Capabilities the proxy cannot honour are removed from what the client sees (CAPA, RFC 2449 §5, and the
// mechanism list answering a bare AUTH). Everything else passes byte for byte.
//
// - STLS: TLS on the client leg is the prelude's business; once the engine runs it is too late.
// - SASL mechanisms ending in -PLUS (SCRAM-…-PLUS, RFC 5802): they bind authentication to the TLS
//   channel, and the client's TLS session ends at the proxy, so the server's check would fail.
// - SASL EXTERNAL: it authenticates with the client's TLS certificate, which never reaches the server.
// PIPELINING, TOP, UIDL, USER, RESP-CODES, AUTH-RESP-CODE, LOGIN-DELAY, EXPIRE, UTF8, LANG and
// IMPLEMENTATION are all honoured as they are.

export interface FilteredLine {
  /** The line to forward, or undefined to drop it. */
  line: Buffer | undefined;
  /** Capability or mechanism names removed, for the event log. */
  removed: string[];
}

const LINE_ENDING = /\r?\n$/;

function isUnusableMechanism(name: string): boolean {
  const upper = name.toUpperCase();
  return upper.endsWith('-PLUS') || upper === 'EXTERNAL';
}

function splitLine(line: Buffer): { text: string; ending: string } {
  const raw = line.toString('latin1');
  const ending = LINE_ENDING.exec(raw)?.[0] ?? '';
  return { text: raw.slice(0, raw.length - ending.length), ending };
}

function withoutMechanisms(line: Buffer, prefix: string, names: string[]): FilteredLine {
  const kept = names.filter((name) => !isUnusableMechanism(name));
  const removed = names.filter(isUnusableMechanism);
  if (removed.length === 0) return { line, removed };
  if (kept.length === 0) return { line: undefined, removed };
  const { ending } = splitLine(line);
  return { line: Buffer.from(prefix + kept.join(' ') + ending, 'latin1'), removed };
}

/** One line of a CAPA reply (not the status line, not the terminator). */
export function filterCapabilityLine(line: Buffer): FilteredLine {
  const { text } = splitLine(line);
  const words = text.split(' ').filter((word) => word.length > 0);
  const name = (words[0] ?? '').toUpperCase();
  if (name === 'STLS') return { line: undefined, removed: ['STLS'] };
  if (name === 'SASL') return withoutMechanisms(line, `${words[0]} `, words.slice(1));
  return { line, removed: [] };
}

/** One line of the mechanism list that answers AUTH without argument (one or more names per line). */
export function filterMechanismLine(line: Buffer): FilteredLine {
  const { text } = splitLine(line);
  return withoutMechanisms(line, '', text.split(' ').filter((word) => word.length > 0));
}
