import type { EngineOutput } from '../protocol/engine.js';

// Turns runs of client- or server-bound pieces into fewer, larger writes. Pieces that sit next to
// each other in the same input chunk (consecutive lines passed through unchanged) are joined as
// one view without copying; a few small unrelated pieces are copied into one Buffer; anything
// larger is passed on as it is.

const SMALL = 8 * 1024;

type BytesKind = 'toClient' | 'toServer';

function adjacent(a: Buffer, b: Buffer): boolean {
  return a.buffer === b.buffer && a.byteOffset + a.length === b.byteOffset;
}

export function coalesceOutputs(outputs: readonly EngineOutput[]): EngineOutput[] {
  if (outputs.length < 2 || !coalescible(outputs)) return outputs as EngineOutput[];
  const result: EngineOutput[] = [];
  let run: Buffer[] = [];
  let runBytes = 0;
  let runKind: BytesKind | undefined;

  for (const out of outputs) {
    if (out.kind !== 'toClient' && out.kind !== 'toServer') {
      if (runKind) pushRun(result, runKind, run, runBytes);
      runKind = undefined;
      result.push(out);
      continue;
    }
    const bytes = out.bytes;
    if (bytes.length === 0) continue;
    if (runKind === out.kind) {
      const last = run[run.length - 1];
      // A run of several pieces gets copied, so it stays small; a single view may grow freely.
      const copied = run.length > 1 || !adjacent(last, bytes);
      if (!copied) {
        run[run.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + bytes.length);
        runBytes += bytes.length;
        continue;
      }
      if (runBytes + bytes.length < SMALL) {
        run.push(bytes);
        runBytes += bytes.length;
        continue;
      }
    }
    if (runKind) pushRun(result, runKind, run, runBytes);
    runKind = out.kind;
    run = [bytes];
    runBytes = bytes.length;
  }
  if (runKind) pushRun(result, runKind, run, runBytes);
  return result;
}

/**
 * Whether anything would change: two byte outputs of one direction in a row, or an empty one. Most
 * drains of a bulk fetch are a body chunk and a wake-up request, returned as they are (no new arrays).
 */
function coalescible(outputs: readonly EngineOutput[]): boolean {
  let previous: BytesKind | undefined;
  for (const out of outputs) {
    if (out.kind !== 'toClient' && out.kind !== 'toServer') {
      previous = undefined;
      continue;
    }
    if (out.bytes.length === 0 || previous === out.kind) return true;
    previous = out.kind;
  }
  return false;
}

/** One write for a run: the single piece as it is, several copied into one Buffer. */
function pushRun(result: EngineOutput[], kind: BytesKind, run: Buffer[], runBytes: number): void {
  result.push({ kind, bytes: run.length === 1 ? run[0] : Buffer.concat(run, runBytes) });
}
