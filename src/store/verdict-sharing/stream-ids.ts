// Redis stream entry ids are "<milliseconds>-<sequence>"; both parts can exceed 2^53, so they are
// compared as BigInts.

function parts(id: string): [bigint, bigint] {
  const match = /^(\d+)-(\d+)$/.exec(id);
  if (!match) throw new Error(`not a stream entry id: '${id.slice(0, 60)}'`);
  return [BigInt(match[1] as string), BigInt(match[2] as string)];
}

/** Negative when a is before b, 0 when equal, positive when after. */
export function compareStreamIds(a: string, b: string): number {
  const [aTime, aSeq] = parts(a);
  const [bTime, bSeq] = parts(b);
  if (aTime !== bTime) return aTime < bTime ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}

/** When Redis added the entry (epoch ms), from its id. */
export function streamIdTime(id: string): number {
  return Number(parts(id)[0]);
}
