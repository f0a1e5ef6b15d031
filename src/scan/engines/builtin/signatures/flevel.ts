// ClamAV "functionality levels" let a signature say which engine versions may load it. The builtin
// engine claims the level of the clamd it is compared against (ClamAV 1.4 reports 216 in clamconf),
// so both load and skip the same signatures.
const ENGINE_FLEVEL = 216;

/** The level from which hash signatures may use '*' as the file size. */
export const WILDCARD_SIZE_FLEVEL = 73;

export interface FlevelRange {
  min?: number;
  max?: number;
}

/** Parses optional MinFL and MaxFL fields; undefined when a field is not a non-negative integer. */
export function parseFlevelFields(fields: string[]): FlevelRange | undefined {
  const [minText, maxText] = fields;
  const range: FlevelRange = {};
  if (minText !== undefined) {
    if (!/^\d+$/.test(minText)) return undefined;
    range.min = Number(minText);
  }
  if (maxText !== undefined) {
    if (!/^\d+$/.test(maxText)) return undefined;
    range.max = Number(maxText);
  }
  return range;
}

export function flevelAllows(range: FlevelRange): boolean {
  if (range.min !== undefined && range.min > ENGINE_FLEVEL) return false;
  if (range.max !== undefined && range.max < ENGINE_FLEVEL) return false;
  return true;
}
