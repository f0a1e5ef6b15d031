// A spilled body as the scan worker reads it: its spool file, read in slices where a range is asked
// for, then the tail still in memory. The file is never read whole by the walk; only a rewrite (or a
// shape that is not a whole message) asks for all of it.
import { fstatSync, readSync } from 'node:fs';
import type { ByteSource } from '../mime/index.js';

/**
 * What a scan worker is handed for a spilled body: the spool file as a descriptor the pool opened
 * (descriptors are the process's, not a thread's). The worker reads through it and never closes it; the
 * pool closes it once the worker replied or its thread has exited, so a worker terminated mid-scan (a
 * cancelled scan) leaves nothing open, however far its own open or teardown had got.
 */
export interface SpilledFileMessage {
  fd: number;
  fileBytes: number;
  tail: Uint8Array;
}

/** Reads made through a spilled source: how many, how many bytes, the largest one (the largest buffer a read allocates). */
export interface SourceReads {
  reads: number;
  bytes: number;
  largest: number;
}

export interface SpilledSource extends ByteSource {
  readonly reads: SourceReads;
}

/** The spilled body as a source over its open spool file; throws (a failed scan) if the file is shorter than the body. */
export function spilledSource(file: SpilledFileMessage): SpilledSource {
  // Found here, as a failed scan, rather than by a read in the middle of the walk.
  if (fstatSync(file.fd).size < file.fileBytes) throw new Error('the spool file is shorter than the body');
  const tail = Buffer.from(file.tail.buffer, file.tail.byteOffset, file.tail.byteLength);
  const reads: SourceReads = { reads: 0, bytes: 0, largest: 0 };
  const length = file.fileBytes + tail.length;
  return {
    length,
    reads,
    read(start, end) {
      start = Math.max(0, Math.min(start, length));
      end = Math.max(start, Math.min(end, length));
      if (start >= file.fileBytes) return tail.subarray(start - file.fileBytes, end - file.fileBytes);
      const bytes = Buffer.allocUnsafe(end - start);
      const fromFile = Math.min(end, file.fileBytes) - start;
      for (let done = 0; done < fromFile; ) {
        const read = readSync(file.fd, bytes, done, fromFile - done, start + done);
        if (read === 0) throw new Error('the spool file is shorter than the body');
        done += read;
      }
      if (end > file.fileBytes) tail.copy(bytes, fromFile, 0, end - file.fileBytes);
      reads.reads++;
      reads.bytes += bytes.length;
      reads.largest = Math.max(reads.largest, bytes.length);
      return bytes;
    },
  };
}
