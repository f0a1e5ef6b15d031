// A large MIME part scanned as it is decoded, never held whole: its encoded body is read through the
// part's ByteSource and decoded slice by slice; the first STREAM_HEAD_BYTES decide its file type;
// every slice then goes to each engine's stream and to the digests, and the decoded size is counted.
// The result is what decoding it whole and scanning it gives (findings, errors, facts, size, SHA-256).
//
// A part is decoded whole instead (undefined from openStreamedPart) when anything needs the whole
// content: an archive (by magic in the head, or a .zip/.tar name), a file type its head does not
// decide (OLE, zip, PDF, an MZ header pointing past the head), an engine that cannot stream this
// file, a uuencoded block, or a part whose decoded size is estimated below STREAM_PART_BYTES. An
// engine may also find at the end that it needs the whole file after all (the builtin engine when
// the anchor of a signature with a '*' gap or a fixed offset occurred): the part is then decoded
// whole for that engine's scan().
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { MimePart } from '../mime/index.js';
import { archiveKind } from './archive/index.js';
import { StreamedDigests } from './content-digest.js';
import type { FileInspector, FileInspection } from './inspect-file.js';
import { STREAM_HEAD_BYTES, type ContentInfo, type ContentStream, type FileFacts } from './types.js';

/**
 * Parts estimated to decode to at least this much are streamed. Below it the decoded copy is small
 * and bounded (at most this much per concurrent scan) and the whole path is cheaper.
 */
export const STREAM_PART_BYTES = 4 * 1024 * 1024;
/** A long pass gives the event loop a turn whenever it has run this long (as the builtin engine's slices do). */
const TURN_BUDGET_MS = 8;

export interface StreamedPartWork {
  /** Decoded bytes handed to the engines' streams, and the largest single slice. */
  bytesToEngines: number;
  largestSlice: number;
  /** Passes over the encoded body (the head read counts as part of the first). */
  passes: number;
  /** Times the part was decoded whole after all, because an engine asked for it. */
  wholeDecodes: number;
}

export interface StreamedPart {
  facts?: FileFacts;
  /** Decoded size and SHA-256 (the latter when asked for), known before the scan only after measure(). */
  size?: number;
  sha256?: string;
  /** One pass over the body without the engines: size and SHA-256, for a decision the scan waits for. */
  measure(): Promise<void>;
  /** The engines over every slice: what inspectFile gives for the whole part. */
  scan(): Promise<FileInspection>;
  /** Not scanned after all (a rule skipped it, a stored verdict decided it): the engines let go. */
  skip(): void;
  readonly work: StreamedPartWork;
}

/** Estimated decoded size of the encoded body: at most this (base64 turns 4 characters into 3 bytes at most, and the others only shrink). */
function estimatedSize(part: MimePart): number {
  const encoded = part.bodyRange.end - part.bodyRange.start;
  return part.transferEncoding === 'base64' ? Math.floor((encoded * 3) / 4) : encoded;
}

export async function openStreamedPart(part: MimePart, info: ContentInfo, inspector: FileInspector, options: { sha256: boolean; threshold?: number }): Promise<StreamedPart | undefined> {
  const { decodeSlices } = part;
  if (part.origin !== 'mime' || estimatedSize(part) < (options.threshold ?? STREAM_PART_BYTES) || !decodeSlices) return undefined;
  const slices = (): Generator<Buffer> => decodeSlices();
  const firstPass = slices();
  const headSlices: Buffer[] = [];
  let headLength = 0;
  while (headLength <= STREAM_HEAD_BYTES) {
    const next = firstPass.next();
    if (next.done) break;
    // Copied: a slice may be a view of memory the source reuses.
    headSlices.push(Buffer.from(next.value));
    headLength += next.value.length;
  }
  if (headLength <= STREAM_HEAD_BYTES) return undefined;
  const head = Buffer.concat(headSlices);
  if (archiveKind(head) !== undefined || /\.(zip|tar)$/i.test(part.fileName ?? '')) return undefined;
  let facts: FileFacts | undefined;
  if (inspector.facts) {
    facts = inspector.factsFromHead?.(head, info);
    if (!facts) return undefined;
  }

  const digests = new StreamedDigests();
  const streams: Array<ContentStream | undefined> = inspector.engines.map((engine) => engine.open?.(info, { head, maxSize: estimatedSize(part), digests }));
  const release = (): void => streams.forEach((stream) => stream?.abort());
  if (streams.some((stream) => stream === undefined)) {
    release();
    return undefined;
  }
  if (options.sha256) digests.want('sha256');

  const work: StreamedPartWork = { bytesToEngines: 0, largestSlice: 0, passes: 1, wholeDecodes: 0 };
  let pending: Generator<Buffer> | undefined = firstPass;
  const result: StreamedPart = {
    facts,
    work,
    async measure() {
      // The first pass continues without the engines; the scan then reads the body again.
      const measuring = new StreamedDigests();
      if (options.sha256) measuring.want('sha256');
      let size = 0;
      await eachSlice(chain(headSlices, pending), (slice) => {
        size += slice.length;
        measuring.update(slice);
      });
      pending = undefined;
      result.size = size;
      if (options.sha256) result.sha256 = measuring.digest('sha256');
    },
    async scan() {
      const inspection: FileInspection = { findings: [], errors: [], facts };
      const failed = new Map<number, Error>();
      let size = 0;
      const feed = async (slice: Buffer): Promise<void> => {
        size += slice.length;
        digests.update(slice);
        work.bytesToEngines += slice.length;
        work.largestSlice = Math.max(work.largestSlice, slice.length);
        for (let index = 0; index < streams.length; index++) {
          if (failed.has(index)) continue;
          try {
            await streams[index]!.write(slice);
          } catch (error) {
            failed.set(index, error as Error);
            streams[index]!.abort();
          }
        }
      };
      const body = pending ? chain(headSlices, pending) : (work.passes++, slices());
      pending = undefined;
      await eachSlice(body, feed);
      const ends = await Promise.allSettled(streams.map((stream, index) => (failed.has(index) ? Promise.reject(failed.get(index)) : stream!.end())));
      // An engine that needs the whole file after all gets it (rare: decoded now, once, for those engines only).
      let content: Buffer | undefined;
      const outcomes = await Promise.allSettled(
        ends.map(async (end, index) => {
          if (end.status === 'rejected') throw end.reason;
          if (end.value !== 'whole-file') return end.value;
          if (!content) {
            content = part.decode();
            work.wholeDecodes++;
          }
          return inspector.engines[index].scan(content, info);
        }),
      );
      outcomes.forEach((outcome, index) => {
        if (outcome.status === 'fulfilled') inspection.findings.push(...outcome.value);
        else inspection.errors.push(`${inspector.engines[index].name}: ${(outcome.reason as Error).message}`);
      });
      result.size = size;
      if (options.sha256) result.sha256 = digests.digest('sha256');
      return inspection;
    },
    skip: release,
  };
  return result;
}

/** The head already read, then what the pass has not read yet. */
function* chain(head: readonly Buffer[], rest: Generator<Buffer> | undefined): Generator<Buffer> {
  yield* head;
  if (rest) yield* rest;
}

async function eachSlice(slices: Iterable<Buffer>, work: (slice: Buffer) => void | Promise<void>): Promise<void> {
  let since = performance.now();
  for (const slice of slices) {
    await work(slice);
    if (performance.now() - since >= TURN_BUDGET_MS) {
      await nextTurn();
      since = performance.now();
    }
  }
}
