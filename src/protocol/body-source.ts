import type { BodyEncoding } from './engine.js';
import type { BodyScanResult } from '../scan/body-scanner.js';
import type { BodyEncoder, SessionSpool } from './session-ports.js';

export type ByteSource = AsyncIterable<Buffer> | Iterable<Buffer>;

/**
 * The bytes of a bodyToClient output: the range [start, end) of the body's final content (the
 * scanner's replacement, or the spooled original), in its wire encoding. Synchronous while the body is
 * in memory, so the common case writes straight through.
 */
export function bodySource(
  spool: SessionSpool,
  result: BodyScanResult | undefined,
  range: { encoding: BodyEncoding; start?: number; end?: number },
  encoders: Partial<Record<BodyEncoding, () => BodyEncoder>>,
): ByteSource {
  const { start, end } = range;
  const source: ByteSource =
    result?.changed === true
      ? [result.content.subarray(start ?? 0, end ?? result.content.length)]
      : spool.spilled || spool.failed
        ? spool.range(start, end)
        : spool.memoryRange(start, end);
  if (range.encoding === 'raw') return source;
  const create = encoders[range.encoding];
  if (!create) throw new Error(`no encoder for body encoding ${range.encoding}`);
  // A bounded range is a prefix the engine continues with raw bytes: the encoder's end() follows only a whole body.
  return encoded(source, create(), end === undefined);
}

function encoded(source: ByteSource, encoder: BodyEncoder, whole: boolean): ByteSource {
  if (Symbol.asyncIterator in source) {
    return (async function* () {
      for await (const chunk of source) yield encoder.push(chunk);
      if (whole) yield encoder.end();
    })();
  }
  const out: Buffer[] = [];
  for (const chunk of source) out.push(encoder.push(chunk));
  if (whole) out.push(encoder.end());
  return out;
}
