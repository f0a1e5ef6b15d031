// The body an evaluation is given: bytes in memory, or (a spilled whole message in a scan worker) a
// source read in slices. What the evaluation needs of the whole message is read from the source here:
// the top header for the envelope, and the SHA-256 of a kept original, streamed.
import { createHash } from 'node:crypto';
import { bufferSource, DEFAULT_WALK_LIMITS, readTopHeader, type ByteSource } from '../mime/index.js';

export type EvaluationInput = Buffer | ByteSource;

const SLICE_BYTES = 1024 * 1024;
const LF = 0x0a;
const FIRST_HEADER_READ = 64 * 1024;

export function sourceOf(input: EvaluationInput): ByteSource {
  return Buffer.isBuffer(input) ? bufferSource(input) : input;
}

const wholes = new WeakMap<ByteSource, Buffer>();

/** All of it in one Buffer (read once per source): for a rewrite, made only when the message changes. */
export function wholeOf(input: EvaluationInput): Buffer {
  if (Buffer.isBuffer(input)) return input;
  let whole = wholes.get(input);
  if (whole === undefined) wholes.set(input, (whole = input.read(0, input.length)));
  return whole;
}

export function sha256Of(input: EvaluationInput): string {
  const hash = createHash('sha256');
  if (Buffer.isBuffer(input)) return hash.update(input).digest('hex');
  for (let at = 0; at < input.length; at += SLICE_BYTES) hash.update(input.read(at, Math.min(at + SLICE_BYTES, input.length)));
  return hash.digest('hex');
}

/**
 * Enough of the message's start that readEnvelope reads exactly what it would read of the whole: it
 * looks no further than the walker's header byte limit, and at the first line break for the line ending
 * (appended when it lies beyond, as the bytes around it).
 */
export function envelopeBytes(input: EvaluationInput): Buffer {
  if (Buffer.isBuffer(input)) return input;
  // Most headers end early: then what precedes their empty line is all that is read.
  const start = input.read(0, Math.min(input.length, FIRST_HEADER_READ));
  if (start.length === input.length || readTopHeader(start).bodyStart < start.length) return start;
  const head = input.read(0, Math.min(input.length, DEFAULT_WALK_LIMITS.maxHeaderBytes + 1));
  if (head.includes(LF) || head.length === input.length) return head;
  for (let at = head.length; at < input.length; at += SLICE_BYTES) {
    const slice = input.read(at, Math.min(at + SLICE_BYTES, input.length));
    const lf = slice.indexOf(LF);
    if (lf !== -1) return Buffer.concat([head, input.read(Math.max(head.length, at + lf - 1), at + lf + 1)]);
  }
  return head;
}
