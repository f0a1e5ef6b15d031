// How much of a text fact a condition sees. Names and header values come from the mail, so the
// sender chooses their length; matching work is bounded by bounding them here, in one place.

/** File names (and the extension taken from them). */
export const MAX_NAME_CHARS = 1024;
/** Header values, subjects, addresses and every other text fact. */
export const MAX_TEXT_FACT_CHARS = 4096;

const ELLIPSIS = '…';

/**
 * A longer text keeps its beginning and its end with "…" between them, so both `report*` and `*.exe`
 * still see what they look for; padding the middle cannot hide an extension.
 */
export function boundFact(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor((max - ELLIPSIS.length) / 2);
  const tail = max - ELLIPSIS.length - head;
  return `${text.slice(0, head)}${ELLIPSIS}${text.slice(text.length - tail)}`;
}
