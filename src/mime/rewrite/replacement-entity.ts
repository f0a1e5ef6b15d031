// Builds the bytes that take the place of a removed part, padded to the exact length of what they replace.
// Size outranks the notice: when the full notice does not fit, the replacement shrinks in steps
// (see NoticeForm) down to a part with an empty header, and below two bytes to padding alone.
import type { LineEnding } from '../bytes.js';
import { asciiNotice, encodeNotice } from '../encode/notice.js';
import { writePadding } from '../encode/padding.js';
import { compactReplacementHeaderLines, replacementHeaderLines } from './replacement-headers.js';

/**
 * The steps a replacement goes through, richest first:
 * - full: a text/plain part named "<file>.removed.txt" carrying the full notice;
 * - short: the same part with the short notice and no field that states a default;
 * - minimal: "Content-Type: text/plain", an empty line and the one-line minimal notice (naming the quarantine id);
 * - bare: an empty header (RFC 2045 §5.2: text/plain; charset=us-ascii) and as much of a one-line notice as fits.
 */
export type NoticeForm = 'full' | 'short' | 'minimal' | 'bare';

/** A notice in its three lengths. `minimal` should be one ASCII line; it also ends up in bare replacements. */
export interface NoticeLadder {
  full: string;
  short?: string;
  minimal?: string;
}

export type FittedReplacement = FittedBytes & { form: NoticeForm };

/** One-line texts for a bare replacement after the minimal notice, longest first; "" leaves padding only. */
const BARE_TEXTS = ['Removed by inboxguard.', 'Removed.', ''];

/** Content padded to a length, not yet written: the padding can be as large as the part it replaces. */
export interface FittedBytes {
  /** content, `paddingLength` bytes of padding(), ending. */
  content: Buffer;
  paddingLength: number;
  ending: Buffer;
  eol: LineEnding;
  length: number;
  /** False when even the unpadded replacement is longer than `targetLength`. */
  fits: boolean;
}

/**
 * Pads `content` to `targetLength`. With `endWithLineBreak` the result ends in a line break, for bytes that
 * must keep the line after them a line of its own (a delimiter that follows).
 */
export function fitToLength(content: Buffer, targetLength: number, eol: LineEnding, endWithLineBreak = false): FittedBytes {
  const ending = Buffer.from(endWithLineBreak ? eol : '', 'latin1');
  // Content that already ends with the line break keeps it last, and the padding goes before it.
  const body = endWithLineBreak && content.subarray(-ending.length).equals(ending) ? content.subarray(0, content.length - ending.length) : content;
  const minimalLength = body.length + ending.length;
  const fits = minimalLength <= targetLength;
  const paddingLength = fits ? targetLength - minimalLength : 0;
  return { content: body, paddingLength, ending, eol, length: minimalLength + paddingLength, fits };
}

/** Writes the fitted bytes into `into` at `at`; returns where they end. */
export function writeFitted(fitted: FittedBytes, into: Buffer, at: number): number {
  fitted.content.copy(into, at);
  writePadding(into, at + fitted.content.length, fitted.paddingLength, fitted.eol);
  fitted.ending.copy(into, at + fitted.content.length + fitted.paddingLength);
  return at + fitted.length;
}

/** The fitted bytes in one buffer of their length, from `allocate`. */
export function fittedBytes(fitted: FittedBytes, allocate: (length: number) => Buffer = Buffer.allocUnsafe): Buffer {
  const bytes = allocate(fitted.length);
  writeFitted(fitted, bytes, 0);
  return bytes;
}

/** The one-line texts a replacement may fall back to, longest first, ending with "". */
export function fallbackTexts(ladder: NoticeLadder, eol: LineEnding): string[] {
  const minimal = ladder.minimal === undefined ? [] : [asciiNotice(ladder.minimal, eol).split(eol)[0]];
  return [...minimal, ...BARE_TEXTS];
}

/** The first candidate that fits `targetLength`, or the last one (the smallest) grown past it. */
export function firstFitting(candidates: readonly { form: NoticeForm; content: Buffer }[], targetLength: number, eol: LineEnding, endWithLineBreak = false): FittedReplacement {
  let fitted: FittedReplacement | undefined;
  for (const { form, content } of candidates) {
    fitted = { ...fitToLength(content, targetLength, eol, endWithLineBreak), form };
    if (fitted.fits) return fitted;
  }
  if (fitted === undefined) throw new Error('no replacement candidate');
  return fitted;
}

export interface ReplacementEntityOptions {
  fileName: string;
  notices: NoticeLadder;
  eol: LineEnding;
  targetLength: number;
  /** Header fields kept ahead of the new ones (a message header keeps From, Subject, …), line breaks included. */
  keptFields?: Buffer;
  /** What the minimal and bare forms keep of the header (nothing is added to it); defaults to keptFields. */
  bareKeptFields?: Buffer;
  endWithLineBreak?: boolean;
}

/** A text/plain entity: header block, empty line, notice, padding — in the richest form that fits. */
export function replacementEntity(options: ReplacementEntityOptions): FittedReplacement {
  const { eol, notices } = options;
  const kept = options.keptFields ?? Buffer.alloc(0);
  const bareKept = options.bareKeptFields ?? kept;
  const named = (notice: string, compact = false): Buffer => {
    const encoded = encodeNotice(notice, eol);
    const lines = compact && encoded.transferEncoding === '7bit' ? compactReplacementHeaderLines(options.fileName, eol) : replacementHeaderLines(options.fileName, encoded.transferEncoding, eol);
    const header = lines + eol;
    return Buffer.concat([kept, Buffer.from(header + encoded.text, 'latin1')]);
  };
  const plain = (header: string, text: string): Buffer => Buffer.concat([bareKept, Buffer.from(`${header}${eol}${text}`, 'latin1')]);
  const [minimalText, ...bareTexts] = fallbackTexts(notices, eol);
  const candidates: { form: NoticeForm; content: Buffer }[] = [{ form: 'full', content: named(notices.full) }];
  if (notices.short !== undefined) candidates.push({ form: 'short', content: named(notices.short, true) });
  if (notices.minimal !== undefined) candidates.push({ form: 'minimal', content: plain(`Content-Type: text/plain${eol}`, minimalText) });
  for (const text of notices.minimal === undefined ? [minimalText, ...bareTexts] : bareTexts) candidates.push({ form: 'bare', content: plain('', text) });
  // Last, the kept fields alone (nothing for a part): an entity may lack the empty line and the body
  // (RFC 2046 §5.1.1, RFC 5322 §3.5), so this fits whatever it replaces.
  if (!options.endWithLineBreak) candidates.push({ form: 'bare', content: bareKept });
  return firstFitting(candidates, options.targetLength, eol, options.endWithLineBreak);
}
