// Entry points for reading MIME structure: a whole message (BODY[], RFC822, POP3 RETR) or one part
// fetched on its own (BODY[2]) whose MIME header the client already knows.
import { libmime } from './libmime.js';
import { splitHeaderFields } from './header-fields.js';
import { describePart } from './part-header.js';
import { partsOfTree } from './part-view.js';
import { buildTree } from './tree.js';
import { resolveWalkLimits, type PartDescription, type WalkLimits, type WalkResult } from './types.js';

/** Walks a whole message. Never throws: a broken message yields what could be read, flagged `malformed`. */
export function walkMessage(message: Buffer, limits?: Partial<WalkLimits>): WalkResult {
  try {
    return partsOfTree(message, buildTree(message, resolveWalkLimits(limits)));
  } catch (error) {
    return { parts: [], malformed: `MIME walk failed: ${(error as Error).message}` };
  }
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
    return partsOfTree(partBody, tree, rawHeader);
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
