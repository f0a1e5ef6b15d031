// Builds the bytes that take the place of a removed part, padded to the exact length of what they replace
// whenever the notice fits.
import type { LineEnding } from '../bytes.js';
import { encodeNotice } from '../encode/notice.js';
import { padding } from '../encode/padding.js';
import { replacementHeaderLines } from './replacement-headers.js';

export interface FittedBytes {
  bytes: Buffer;
  /** False when even the unpadded replacement is longer than `targetLength`. */
  fits: boolean;
}

/**
 * Pads `content` to `targetLength`. With `endWithLineBreak` the result ends in a line break, for bytes that
 * must keep the line after them a line of its own (a delimiter that follows).
 */
export function fitToLength(content: Buffer, targetLength: number, eol: LineEnding, endWithLineBreak = false): FittedBytes {
  const ending = Buffer.from(endWithLineBreak ? eol : '', 'latin1');
  const minimalLength = content.length + ending.length;
  if (minimalLength > targetLength) return { bytes: Buffer.concat([content, ending]), fits: false };
  const filler = padding(targetLength - minimalLength, eol);
  return { bytes: Buffer.concat([content, filler, ending]), fits: true };
}

export interface ReplacementEntityOptions {
  fileName: string;
  notice: string;
  eol: LineEnding;
  targetLength: number;
  /** Header fields kept ahead of the new ones (a message header keeps From, Subject, …), line breaks included. */
  keptFields?: Buffer;
  endWithLineBreak?: boolean;
}

/** A text/plain entity: header block, empty line, notice, padding. */
export function replacementEntity(options: ReplacementEntityOptions): FittedBytes {
  const { eol } = options;
  const notice = encodeNotice(options.notice, eol);
  const header = replacementHeaderLines(options.fileName, notice.transferEncoding, eol) + eol;
  const minimal = Buffer.concat([options.keptFields ?? Buffer.alloc(0), Buffer.from(header + notice.text, 'latin1')]);
  return fitToLength(minimal, options.targetLength, eol, options.endWithLineBreak);
}
