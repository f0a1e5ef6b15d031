const MAX_REPORTED_LENGTH = 255;

// C0/C1 controls and the bidi overrides used to disguise extensions ("evil\u202Etxt.exe").
const UNREPORTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** An entry name made safe for logs and notices: invisible tricks become visible escapes, length is capped. */
export function reportableName(rawName: string): string {
  const escaped = rawName
    .replace(/\\/g, '/')
    .replace(UNREPORTABLE, (char) => `\\u${char.codePointAt(0)!.toString(16).padStart(4, '0')}`);
  if (escaped.length === 0) return '(unnamed)';
  if (escaped.length <= MAX_REPORTED_LENGTH) return escaped;
  return `${escaped.slice(0, MAX_REPORTED_LENGTH - 1)}…`;
}

/** The last path segment of an entry name, as the archive spells it (for type and extension rules). */
export function baseName(rawName: string): string {
  const segments = rawName.split(/[\\/]/).filter((segment) => segment.length > 0);
  return segments.at(-1) ?? rawName;
}
