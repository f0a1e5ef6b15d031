/** A quarantine entry is named after its content, so the same original is kept once under one name. */
export function quarantineIdFor(sha256: string): string {
  return `q-${sha256.slice(0, 20)}`;
}

export const QUARANTINE_ID_PATTERN = /^q-[0-9a-f]{20}$/;
