// Turns the entity tree into the flat list of content-bearing parts the scanner looks at: every leaf,
// plus every uuencoded block inside a text leaf, each with its checks done.
import { base64Problem, decodeBase64Inspected, inspectBase64, type Base64Inspection } from './decode/base64.js';
import { Base64StreamDecoder } from './decode/base64-stream.js';
import { decodeBody, isIdentityEncoding, isKnownTransferEncoding } from './decode/body.js';
import { decodedSlices, decodesInSlices, streamDecoder } from './decode/decoded-slices.js';
import { decodeUuencodedBlock, findUuencodedBlocks, type UuencodedBlock } from './decode/uuencode.js';
import type { ByteSource } from './byte-source.js';
import { setMalformed, type PendingProblem } from './pending-problems.js';
import type { MimeNode, MimeTree } from './tree.js';
import type { MimePart, WalkResult } from './types.js';

const MAX_REPORTED_PROBLEMS = 50;
/**
 * Decoded text up to this size is kept for the scan's decode(). A larger part is scanned in slices (the
 * scanner streams parts from 4 MiB on): kept, it would only hold memory until its turn.
 */
const KEEP_DECODED_BYTES = 4 * 1024 * 1024;

/** The leaves of `tree` (walked from `source`) and the uuencoded blocks inside its text leaves. */
export function partsOfTree(source: ByteSource, tree: MimeTree, rootHeader?: Buffer): WalkResult {
  const problems: PendingProblem[] = [...tree.problems];
  const parts: MimePart[] = [];
  for (const node of tree.nodes) {
    if (node.kind !== 'leaf') continue;
    const part = leafPart(source, node, node === tree.root ? rootHeader : undefined);
    const encodingProblem = checkTransferEncoding(part);
    if (encodingProblem !== undefined) problems.push(typeof encodingProblem === 'string' ? `part ${part.path}: ${encodingProblem}` : inPart(part.path, encodingProblem));
    setMalformed(part, encodingProblem === undefined ? node.problems : [...node.problems, encodingProblem], (known) => known.join('; '));
    parts.push(part);
    if (part.contentType.startsWith('text/')) {
      for (const uuPart of uuencodedParts(part)) {
        if (uuPart.malformed) problems.push(`part ${uuPart.path}: ${uuPart.malformed}`);
        parts.push(uuPart);
      }
    }
  }
  const result: WalkResult = { parts, work: tree.work };
  setMalformed(result, problems, (known) => [...new Set(known)].slice(0, MAX_REPORTED_PROBLEMS).join('; '));
  return result;
}

/** A leaf's part. Its header and body are read from `source` when asked for, never before. */
export function leafPart(source: ByteSource, node: MimeNode, rootHeader?: Buffer): MimePart {
  const { headerRange, bodyRange, info } = node;
  const part: MimePart = {
    ...info,
    path: node.path,
    origin: 'mime',
    rawHeader: rootHeader ?? Buffer.alloc(0),
    headerRange,
    bodyRange,
    source,
    decode: () => decodeBody(source.read(bodyRange.start, bodyRange.end), info.transferEncoding),
  };
  if (decodesInSlices(info.transferEncoding)) part.decodeSlices = () => decodedSlices(source, bodyRange, streamDecoder(info.transferEncoding)!);
  if (rootHeader === undefined) Object.defineProperty(part, 'rawHeader', { enumerable: true, get: () => source.read(headerRange.start, headerRange.end) });
  return part;
}

/**
 * What is wrong with the part's transfer encoding. For base64 that is learnt when the part is decoded
 * (its regular prefix is decoded natively once, not once to check it and again to read it), so the
 * problem is pending until then; asked before, it inspects the body without keeping what it decodes.
 */
function checkTransferEncoding(part: MimePart): PendingProblem | undefined {
  if (part.transferEncoding === 'base64') {
    const { source, bodyRange } = part;
    const body = () => source.read(bodyRange.start, bodyRange.end);
    let inspection: Base64Inspection | undefined;
    part.decode = () => {
      const decoded = decodeBase64Inspected(body());
      inspection = decoded.inspection;
      return decoded.bytes;
    };
    part.decodeSlices = function* () {
      const decoder = new Base64StreamDecoder();
      yield* decodedSlices(source, bodyRange, decoder);
      inspection = decoder.inspection();
    };
    return () => base64Problem((inspection ??= inspectBase64(body())));
  }
  if (!isKnownTransferEncoding(part.transferEncoding)) return `unknown transfer encoding "${part.transferEncoding}"`;
  return undefined;
}

function inPart(path: string, problem: () => string | undefined): PendingProblem {
  return () => {
    const known = problem();
    return known === undefined ? undefined : `part ${path}: ${known}`;
  };
}

/** The uuencoded blocks in a text part: looked for in its body as it stands, or in its decoded text. */
export function uuencodedParts(container: MimePart): MimePart[] {
  const verbatim = isIdentityEncoding(container.transferEncoding);
  const { source, bodyRange } = container;
  const text = verbatim ? source.read(bodyRange.start, bodyRange.end) : container.decode();
  if (!verbatim && text.length < KEEP_DECODED_BYTES) keepForNextDecode(container, text);
  const offset = verbatim ? bodyRange.start : 0;
  return findUuencodedBlocks(text).map((block, index) => uuencodedPart(text, offset, container, block, index + 1, verbatim));
}

/**
 * The text decoded for the uuencode search is what the scan's decode() gives next: handed over once,
 * then forgotten (later calls decode again). A part read in slices instead lets it go at once.
 */
function keepForNextDecode(part: MimePart, decoded: Buffer): void {
  const { decode, decodeSlices } = part;
  let kept: Buffer | undefined = decoded;
  part.decode = () => {
    const handed = kept ?? decode();
    kept = undefined;
    return handed;
  };
  if (decodeSlices) {
    part.decodeSlices = () => {
      kept = undefined;
      return decodeSlices();
    };
  }
}

/** `text`: what the block was found in, `offset` its position in the source when it is verbatim there. */
function uuencodedPart(text: Buffer, offset: number, container: MimePart, block: UuencodedBlock, ordinal: number, verbatim: boolean): MimePart {
  const { source } = container;
  const data = verbatim ? { start: offset + block.dataStart, end: offset + block.dataEnd } : undefined;
  const local = { ...block, dataStart: 0, dataEnd: block.dataEnd - block.dataStart };
  const part: MimePart = {
    path: `${container.path}#uu${ordinal}`,
    origin: 'uuencode',
    contentType: 'application/octet-stream',
    params: {},
    fileName: block.fileName,
    disposition: 'attachment',
    transferEncoding: block.variant === 'base64' ? 'base64' : 'x-uuencode',
    rawHeader: Buffer.alloc(0),
    headerRange: verbatim ? { start: offset + block.start, end: offset + block.start } : container.headerRange,
    bodyRange: verbatim ? { start: offset + block.start, end: offset + block.end } : container.bodyRange,
    source,
    containerPath: container.path,
    decode: () => (data ? decodeUuencodedBlock(source.read(data.start, data.end), local) : decodeUuencodedBlock(container.decode(), block)),
  };
  if (!verbatim) part.insideEncodedText = true;
  if (!block.terminated) part.malformed = `uuencoded "${block.fileName}" has no "${block.variant === 'base64' ? '====' : 'end'}" line`;
  return part;
}
