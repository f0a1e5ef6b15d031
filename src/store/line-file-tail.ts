// The last lines of a file of lines (the log, the events), and following it as it grows (like tail -n N -f): read from the end in
// blocks, so a large log costs what is printed; a file that shrinks (rotated, truncated) is read
// again from its start.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

const BLOCK = 64 * 1024;
const POLL_MS = 250;

export interface TailResult {
  lines: string[];
  /** Where following continues. */
  offset: number;
}

/** The last `count` complete lines of the file (a final line without a newline counts too). */
export function lastLines(path: string, count: number): TailResult {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    let start = size;
    let text = '';
    while (start > 0 && text.split('\n').length - 1 <= count) {
      const from = Math.max(0, start - BLOCK);
      const buffer = Buffer.alloc(start - from);
      readSync(fd, buffer, 0, buffer.length, from);
      text = buffer.toString('utf8') + text;
      start = from;
    }
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return { lines: count === 0 ? [] : lines.slice(-count), offset: size };
  } finally {
    closeSync(fd);
  }
}

/** Calls onLine for every complete line written after `offset` until the signal aborts. */
export async function followLines(path: string, offset: number, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
  let position = offset;
  let partial = '';
  while (!signal.aborted) {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      size = 0;
    }
    if (size < position) {
      position = 0;
      partial = '';
    }
    if (size > position) {
      const buffer = Buffer.alloc(size - position);
      const fd = openSync(path, 'r');
      try {
        readSync(fd, buffer, 0, buffer.length, position);
      } finally {
        closeSync(fd);
      }
      position = size;
      const lines = (partial + buffer.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, POLL_MS);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}
