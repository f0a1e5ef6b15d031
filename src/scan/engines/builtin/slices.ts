// Long scans run in slices and give the event loop a turn whenever a slice pushed the time spent
// since the last turn over a small budget. Small files never yield (no added latency).
import { setImmediate as nextTurn } from 'node:timers/promises';

const SLICE_BYTES = 1 << 20;
const BUDGET_MS = 8;

export async function forEachSlice(length: number, work: (start: number, end: number) => void, sliceBytes = SLICE_BYTES): Promise<void> {
  let since = performance.now();
  for (let start = 0; start < length; start += sliceBytes) {
    const end = Math.min(length, start + sliceBytes);
    work(start, end);
    if (end < length && performance.now() - since >= BUDGET_MS) {
      await nextTurn();
      since = performance.now();
    }
  }
}
