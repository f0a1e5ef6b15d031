// Entry points for reading MIME structure: a whole message (BODY[], RFC822, POP3 RETR) or one part
// fetched on its own (BODY[2]) whose MIME header the client already knows.
import { libmime } from './libmime.js';
import { splitHeaderFields } from './header-fields.js';
import { describePart } from './part-header.js';
import { partsOfTree } from './part-view.js';
import { buildTree, TreeBuilder } from './tree.js';
import { bufferSource, type ByteSource } from './byte-source.js';
import { resolveWalkLimits, type PartDescription, type WalkLimits, type WalkResult } from './types.js';

/** Walks a whole message. Never throws: a broken message yields what could be read, flagged `malformed`. */
export function walkMessage(message: Buffer, limits?: Partial<WalkLimits>): WalkResult {
  try {
    return partsOfTree(bufferSource(message), buildTree(message, resolveWalkLimits(limits)));
  } catch (error) {
    return { parts: [], malformed: `MIME walk failed: ${(error as Error).message}` };
  }
}

/** How much of a source is read into memory at a time while walking it. */
export const SOURCE_SLICE_BYTES = 1024 * 1024;

/**
 * Walks a whole message read from `source` in slices, never holding it whole: what walkMessage gives
 * for the same bytes, with parts that read their header and body from the source when asked.
 */
export function walkMessageSource(source: ByteSource, limits?: Partial<WalkLimits>, sliceBytes = SOURCE_SLICE_BYTES): WalkResult {
  const builder = new TreeBuilder(resolveWalkLimits(limits));
  let failure: Error | undefined;
  // Once the walk needs no more bytes (a single part, or every boundary closed), the rest is not read.
  for (let at = 0; at < source.length && builder.wantsMore && failure === undefined; at += sliceBytes) {
    // A source that cannot be read is not a malformed message: that error goes to the caller.
    const slice = source.read(at, Math.min(at + sliceBytes, source.length));
    try {
      builder.feed(slice);
    } catch (error) {
      failure = error as Error;
    }
  }
  try {
    if (failure === undefined) return partsOfTree(source, builder.end(source.length));
  } catch (error) {
    failure = error as Error;
  }
  return { parts: [], malformed: `MIME walk failed: ${failure.message}` };
}

export interface WalkPartOptions {
  /** The part's MIME header block (BODY[n.MIME]), or what BODYSTRUCTURE says about it. */
  header?: Buffer | Partial<PartDescription>;
  /** Part number the fetched body has in the message; nested parts are numbered below it. Default "1". */
  path?: string;
  limits?: Partial<WalkLimits>;
}

/**
 * Walks the body of a single part fetched alone (BODY[2]). Without a header it is read as
 * application/octet-stream in the given (or no) transfer encoding. Ranges refer to `partBody`.
 */
export function walkPart(partBody: Buffer, headerOrOptions: Buffer | WalkPartOptions = {}): WalkResult {
  const options: WalkPartOptions = Buffer.isBuffer(headerOrOptions) ? { header: headerOrOptions } : headerOrOptions;
  const limits = resolveWalkLimits(options.limits);
  try {
    const { header } = options;
    const rawHeader = Buffer.isBuffer(header) ? header : Buffer.alloc(0);
    const fields = Buffer.isBuffer(header) ? splitHeaderFields(header, 0, header.length, limits).fields : [];
    const info = Buffer.isBuffer(header) ? describePart(header, fields, 'text/plain') : describedPart(header);
    const tree = buildTree(partBody, limits, { info, fields, path: options.path ?? '1' });
    return partsOfTree(bufferSource(partBody), tree, rawHeader);
  } catch (error) {
    return { parts: [], malformed: `MIME walk failed: ${(error as Error).message}` };
  }
}

function describedPart(description: Partial<PartDescription> = {}): PartDescription & { boundary?: Buffer } {
  const contentType = (description.contentType ?? 'application/octet-stream').toLowerCase();
  const params = Object.fromEntries(Object.entries(description.params ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const info: PartDescription & { boundary?: Buffer } = {
    ...description,
    contentType,
    params,
    transferEncoding: (description.transferEncoding ?? '7bit').toLowerCase(),
  };
  if (contentType.startsWith('multipart/') && params.boundary) info.boundary = Buffer.from(params.boundary, 'latin1');
  if (!info.fileName && params.name) info.fileName = safeDecodeWords(params.name);
  return info;
}

function safeDecodeWords(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}
