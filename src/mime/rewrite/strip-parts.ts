// Replaces parts of a message by short text notices, keeping every other byte where it was and the
// message's exact size (clients trust RFC822.SIZE and BODYSTRUCTURE sizes they cached): a notice that does
// not fit shrinks in steps (NoticeForm), down to a part with an empty header.
import { lineEndingOf, type LineEnding } from '../bytes.js';
import { bufferSource } from '../byte-source.js';
import { asciiNotice } from '../encode/notice.js';
import { safeFileName } from '../encode/display-name.js';
import { NO_HEADER_LIMITS, splitHeaderFields } from '../header-fields.js';
import { leafPart, uuencodedParts } from '../part-view.js';
import { buildTree, type MimeNode } from '../tree.js';
import { resolveWalkLimits, type MimePart, type WalkLimits } from '../types.js';
import { fallbackTexts, firstFitting, replacementEntity, writeFitted, type FittedReplacement, type NoticeForm } from './replacement-entity.js';

export interface PartRemoval {
  /** A path from walkMessage: a leaf, a uuencoded block ("1#uu1"), or a container such as message/rfc822. */
  partPath: string;
  notice: string;
  /** Used when the notice does not fit in the part's bytes. */
  shortNotice?: string;
  /** One ASCII line naming the quarantine id, for a minimal part when even the short notice does not fit. */
  minimalNotice?: string;
}

export interface StripOptions {
  /**
   * Bytes the caller will add elsewhere (a marking header, a subject tag): the largest replacement is
   * made that much shorter, so that the final message can still keep the original size.
   */
  reserveBytes?: number;
  /** Where the result is written (its exact length is asked for); a new Buffer by default. */
  allocate?: (length: number) => Buffer;
}

export interface RewriteResult {
  bytes: Buffer;
  /** True when the result has exactly the original byte length (less reserveBytes). */
  sizePreserved: boolean;
  /** The form each replacement took, in message order (absent when nothing was replaced). */
  noticeForms?: NoticeForm[];
}

interface Splice {
  start: number;
  end: number;
  build(targetLength: number): FittedReplacement;
}

const MIME_VERSION = 'mime-version';

/**
 * Removes parts. Throws when a path names no part of this message (paths must come from walkMessage
 * with the same limits). With nothing to remove the message comes back as the same Buffer.
 */
export function stripParts(message: Buffer, removals: readonly PartRemoval[], limits: Partial<WalkLimits> = {}, options: StripOptions = {}): RewriteResult {
  if (removals.length === 0) return { bytes: message, sizePreserved: true };
  const tree = buildTree(message, resolveWalkLimits(limits));
  const nodesByPath = new Map(tree.nodes.map((node) => [node.path, node]));
  const splices = removals.map((removal) => spliceFor(message, nodesByPath, removal));
  return applySplices(message, outermost(splices), options.reserveBytes ?? 0, options.allocate ?? Buffer.allocUnsafe);
}

function spliceFor(message: Buffer, nodesByPath: Map<string, MimeNode>, removal: PartRemoval): Splice {
  const [containerPath, uuSuffix] = removal.partPath.split('#');
  const node = nodesByPath.get(containerPath);
  if (node === undefined || node.path.endsWith('TEXT')) throw new Error(`no removable MIME part "${removal.partPath}" in this message`);
  if (uuSuffix !== undefined) {
    const block = uuencodedBlockOf(message, node, removal.partPath);
    if (!block.insideEncodedText) return blockSplice(message, node, block, removal);
    return entitySplice(message, node, removal, block.fileName);
  }
  return entitySplice(message, node, removal, node.info.fileName);
}

function ladderOf(removal: PartRemoval) {
  return { full: removal.notice, short: removal.shortNotice, minimal: removal.minimalNotice };
}

function uuencodedBlockOf(message: Buffer, node: MimeNode, path: string): MimePart {
  const block = node.kind === 'leaf' ? uuencodedParts(leafPart(bufferSource(message), node)).find((part) => part.path === path) : undefined;
  if (block === undefined) throw new Error(`no removable MIME part "${path}" in this message`);
  return block;
}

/** The whole entity (header and body) becomes a text/plain notice; a message header keeps its other fields. */
function entitySplice(message: Buffer, node: MimeNode, removal: PartRemoval, originalName: string | undefined): Splice {
  const start = node.headerRange.start;
  const end = node.bodyRange.end;
  const eol = lineEndingOf(message, start);
  const fileName = `${safeFileName(originalName, `part-${node.path}`)}.removed.txt`;
  const bareKeptFields = node.isMessageRoot ? messageFieldsKept(message, node, eol) : undefined;
  const keptFields = bareKeptFields && withMimeVersion(message, node, bareKeptFields, eol);
  // A container can end with its closing delimiter line; what follows must still start a line. (A leaf ends
  // before the line break that opens the next delimiter.) A part that ends the message keeps its last line
  // break too: POP3 ends a message with CRLF "." CRLF, and one without a final line break gets one added,
  // beyond the size the client was told.
  const endsMessage = end === message.length;
  const endWithLineBreak = (node.kind !== 'leaf' || endsMessage) && end > start && message[end - 1] === 0x0a;
  const notices = ladderOf(removal);
  return { start, end, build: (targetLength) => replacementEntity({ fileName, notices, eol, targetLength, keptFields, bareKeptFields, endWithLineBreak }) };
}

/** The fields of a message header other than Content-*: what a replacement of the whole entity keeps. */
function messageFieldsKept(message: Buffer, node: MimeNode, eol: LineEnding): Buffer {
  const { fields } = splitHeaderFields(message, node.headerRange.start, node.headerRange.end, NO_HEADER_LIMITS);
  const kept = fields.filter((field) => !field.name.startsWith('content-'));
  return Buffer.concat(
    kept.map((field) => {
      const raw = message.subarray(field.start, field.end);
      return raw[raw.length - 1] === 0x0a ? raw : Buffer.concat([raw, Buffer.from(eol, 'latin1')]);
    }),
  );
}

/** A replacement with MIME header fields of its own needs MIME-Version (RFC 2045 §4). */
function withMimeVersion(message: Buffer, node: MimeNode, kept: Buffer, eol: LineEnding): Buffer {
  const { fields } = splitHeaderFields(message, node.headerRange.start, node.headerRange.end, NO_HEADER_LIMITS);
  if (fields.some((field) => field.name === MIME_VERSION)) return kept;
  return Buffer.concat([kept, Buffer.from(`MIME-Version: 1.0${eol}`, 'latin1')]);
}

/** A uuencoded block standing verbatim in a text body: its lines become notice lines in that body. */
function blockSplice(message: Buffer, container: MimeNode, block: MimePart, removal: PartRemoval): Splice {
  const { start, end } = block.bodyRange;
  const eol = lineEndingOf(message, start);
  const utf8Body = container.info.charset === 'utf-8' && container.info.transferEncoding !== '7bit';
  const asText = (notice: string) => (utf8Body ? notice.replace(/\r?\n$/, '').split(/\r?\n/).map((line) => line.replace(/^-/, ' -')).join(eol) : asciiNotice(notice, eol));
  const candidates: { form: NoticeForm; content: Buffer }[] = [{ form: 'full', content: Buffer.from(asText(removal.notice), 'utf8') }];
  if (removal.shortNotice !== undefined) candidates.push({ form: 'short', content: Buffer.from(asText(removal.shortNotice), 'utf8') });
  const [minimal, ...bare] = fallbackTexts(ladderOf(removal), eol);
  candidates.push({ form: removal.minimalNotice === undefined ? 'bare' : 'minimal', content: Buffer.from(minimal, 'latin1') });
  for (const text of bare) candidates.push({ form: 'bare', content: Buffer.from(text, 'latin1') });
  return { start, end, build: (targetLength) => firstFitting(candidates, targetLength, eol) };
}

/** Drops splices that lie inside another one (removing "2" already removes "2.1"). */
function outermost(splices: Splice[]): Splice[] {
  const sorted = [...splices].sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Splice[] = [];
  for (const splice of sorted) {
    const previous = kept[kept.length - 1];
    if (previous !== undefined && splice.start < previous.end) continue;
    if (previous !== undefined && splice.start === previous.start && splice.end === previous.end) continue;
    kept.push(splice);
  }
  return kept;
}

/** The kept bytes and the replacements, written once into a buffer of the result's length. */
function applySplices(message: Buffer, splices: readonly Splice[], reserveBytes: number, allocate: (length: number) => Buffer): RewriteResult {
  const pieces: (Buffer | FittedReplacement)[] = [];
  const noticeForms: NoticeForm[] = [];
  let sizePreserved = true;
  let position = 0;
  let length = 0;
  const largest = splices.reduce<Splice | undefined>((best, splice) => (!best || splice.end - splice.start > best.end - best.start ? splice : best), undefined);
  for (const splice of splices) {
    const replacement = splice.build(splice.end - splice.start - (splice === largest ? reserveBytes : 0));
    if (!replacement.fits) sizePreserved = false;
    noticeForms.push(replacement.form);
    pieces.push(message.subarray(position, splice.start), replacement);
    length += splice.start - position + replacement.length;
    position = splice.end;
  }
  pieces.push(message.subarray(position));
  length += message.length - position;
  const bytes = allocate(length);
  let at = 0;
  for (const piece of pieces) at = Buffer.isBuffer(piece) ? at + piece.copy(bytes, at) : writeFitted(piece, bytes, at);
  return { bytes, sizePreserved, noticeForms };
}
