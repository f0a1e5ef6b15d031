/** Bounds on unpacking one attachment. Files and bytes are totals across the whole recursion. */
export interface ArchiveLimits {
  /** Nesting levels that are opened; the attachment itself is level 1 (a .tar.gz uses two). */
  maxDepth: number;
  /** Entries unpacked in total (regular files and nested archives; directories and links do not count). */
  maxFiles: number;
  /** Bytes produced by unpacking in total, including entries abandoned half-way. */
  maxUnpackedBytes: number;
  /** Per entry: unpacked bytes may not exceed maxRatio × compressed bytes... */
  maxRatio: number;
  /** ...unless they stay within this many bytes: small, highly repetitive files are common and harmless. */
  ratioExemptBytes: number;
}

export const defaultArchiveLimits: ArchiveLimits = Object.freeze({
  maxDepth: 5,
  maxFiles: 1000,
  maxUnpackedBytes: 256 * 1024 * 1024,
  maxRatio: 100,
  ratioExemptBytes: 1024 * 1024,
});
