// Sets of positions in a buffer as sorted, disjoint, non-adjacent closed intervals, flattened into
// [lo0, hi0, lo1, hi1, ...]. A match in progress is the set of positions it may have reached.
export type PositionSet = number[];

export class PositionSetBuilder {
  private readonly out: number[] = [];

  /** Positions must be added in ascending order (ranges by ascending lo). */
  addRange(lo: number, hi: number): void {
    const out = this.out;
    const n = out.length;
    if (n > 0 && out[n - 1] + 1 >= lo) {
      if (hi > out[n - 1]) out[n - 1] = hi;
    } else {
      out.push(lo, hi);
    }
  }

  add(position: number): void {
    this.addRange(position, position);
  }

  build(): PositionSet {
    return this.out;
  }
}

export function union(sets: PositionSet[]): PositionSet {
  const nonEmpty = sets.filter((s) => s.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? [];
  const ranges: Array<[number, number]> = [];
  for (const set of nonEmpty) for (let i = 0; i < set.length; i += 2) ranges.push([set[i], set[i + 1]]);
  ranges.sort((a, b) => a[0] - b[0]);
  const builder = new PositionSetBuilder();
  for (const [lo, hi] of ranges) builder.addRange(lo, hi);
  return builder.build();
}
