const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses "90s", "15m", "1h", "30d", "2w" into milliseconds; throws with a readable message otherwise. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhdw])$/i.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration like 30s, 15m, 1h, 30d or 2w`);
  return Number(match[1]) * UNITS[match[2].toLowerCase()];
}
