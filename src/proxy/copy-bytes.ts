// Buffer#copy into shared memory (a SharedArrayBuffer segment) goes through TypedArray#set, which V8
// does with its relaxed atomic byte copy: for the 4-16 KiB chunks a TLS socket delivers that is 2-5
// times slower than libc's memmove. Buffer#fill with a buffer as the value is one memmove in Node's C++
// (the value is repeated only when shorter than the range, which it never is here). Measured on
// Node 20: 4 KiB 1,782 → 344 ns, 16 KiB 3,092 → 1,666 ns.

/**
 * Copies source[sourceStart, sourceEnd) to target at targetStart, like `source.copy(target, targetStart,
 * sourceStart, sourceEnd)` (clipped to the room in the target); returns the number of bytes copied.
 */
export function copyBytes(source: Buffer, target: Buffer, targetStart = 0, sourceStart = 0, sourceEnd = source.length): number {
  const count = Math.min(Math.min(sourceEnd, source.length) - sourceStart, target.length - targetStart);
  if (count <= 0) return 0;
  const from = sourceStart === 0 ? source : source.subarray(sourceStart, sourceStart + count);
  target.fill(from, targetStart, targetStart + count);
  return count;
}
