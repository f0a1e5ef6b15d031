// Bounds-checked reads for parsing untrusted file headers.
export function hasBytesAt(content: Uint8Array, offset: number, expected: readonly number[]): boolean {
  if (offset < 0 || offset + expected.length > content.length) return false;
  for (let i = 0; i < expected.length; i++) if (content[offset + i] !== expected[i]) return false;
  return true;
}

/** `text`'s characters as latin1 bytes (each one's low byte) at `offset`; compared in place, nothing allocated per call. */
export function hasAsciiAt(content: Uint8Array, offset: number, text: string): boolean {
  if (offset < 0 || offset + text.length > content.length) return false;
  for (let i = 0; i < text.length; i++) if (content[offset + i] !== (text.charCodeAt(i) & 0xff)) return false;
  return true;
}

export function uint16le(content: Uint8Array, offset: number): number | undefined {
  if (offset < 0 || offset + 2 > content.length) return undefined;
  return content[offset] | (content[offset + 1] << 8);
}

export function uint32le(content: Uint8Array, offset: number): number | undefined {
  if (offset < 0 || offset + 4 > content.length) return undefined;
  return (content[offset] | (content[offset + 1] << 8) | (content[offset + 2] << 16)) + content[offset + 3] * 0x1000000;
}

export function uint32be(content: Uint8Array, offset: number): number | undefined {
  if (offset < 0 || offset + 4 > content.length) return undefined;
  return content[offset] * 0x1000000 + ((content[offset + 1] << 16) | (content[offset + 2] << 8) | content[offset + 3]);
}

export function uint64le(content: Uint8Array, offset: number): number | undefined {
  const low = uint32le(content, offset);
  const high = uint32le(content, offset + 4);
  if (low === undefined || high === undefined) return undefined;
  return high * 0x100000000 + low;
}
