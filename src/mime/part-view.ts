// Turns the entity tree into the flat list of content-bearing parts the scanner looks at: every leaf,
// plus every uuencoded block inside a text leaf, each with its checks done.
import { base64Problem, decodeBase64Inspected, inspectBase64, type Base64Inspection } from './decode/base64.js';
import { decodeBody, isIdentityEncoding, isKnownTransferEncoding } from './decode/body.js';
import { decodeUuencodedBlock, findUuencodedBlocks, type UuencodedBlock } from './decode/uuencode.js';
import { bufferSource, type ByteSource } from './byte-source.js';
import { setMalformed, type PendingProblem } from './pending-problems.js';
import type { MimeNode, MimeTree } from './tree.js';
import type { MimePart, WalkResult } from './types.js';

const MAX_REPORTED_PROBLEMS = 50;

export function partsOfTree(buffer: Buffer, tree: MimeTree, rootHeader?: Buffer): WalkResult {
  const problems: PendingProblem[] = [...tree.problems];
  const parts: MimePart[] = [];
  const source = bufferSource(buffer);
  for (const node of tree.nodes) {
    if (node.kind !== 'leaf') continue;
    const part = leafPart(buffer, node, source, node === tree.root ? rootHeader : undefined);
    const encodingProblem = checkTransferEncoding(buffer, part);
    if (encodingProblem !== undefined) problems.push(typeof encodingProblem === 'string' ? `part ${part.path}: ${encodingProblem}` : inPart(part.path, encodingProblem));
    setMalformed(part, encodingProblem === undefined ? node.problems : [...node.problems, encodingProblem], (known) => known.join('; '));
    parts.push(part);
    if (part.contentType.startsWith('text/')) {
      for (const uuPart of uuencodedParts(buffer, part)) {
        if (uuPart.malformed) problems.push(`part ${uuPart.path}: ${uuPart.malformed}`);
        parts.push(uuPart);
      }
    }
  }
  const result: WalkResult = { parts, work: tree.work };
  setMalformed(result, problems, (known) => [...new Set(known)].slice(0, MAX_REPORTED_PROBLEMS).join('; '));
  return result;
}

export function leafPart(buffer: Buffer, node: MimeNode, source: ByteSource = bufferSource(buffer), rootHeader?: Buffer): MimePart {
  const { headerRange, bodyRange, info } = node;
  return {
    ...info,
    path: node.path,
    origin: 'mime',
    rawHeader: rootHeader ?? buffer.subarray(headerRange.start, headerRange.end),
    headerRange,
    bodyRange,
    source,
    decode: () => decodeBody(buffer.subarray(bodyRange.start, bodyRange.end), info.transferEncoding),
  };
}

/**
 * What is wrong with the part's transfer encoding. For base64 that is learnt when the part is decoded
 * (its regular prefix is decoded natively once, not once to check it and again to read it), so the
 * problem is pending until then; asked before, it inspects the body without keeping what it decodes.
 */
function checkTransferEncoding(buffer: Buffer, part: MimePart): PendingProblem | undefined {
  if (part.transferEncoding === 'base64') {
    const body = buffer.subarray(part.bodyRange.start, part.bodyRange.end);
    let inspection: Base64Inspection | undefined;
    part.decode = () => {
      const decoded = decodeBase64Inspected(body);
      inspection = decoded.inspection;
      return decoded.bytes;
    };
    return () => base64Problem((inspection ??= inspectBase64(body)));
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

export function uuencodedParts(buffer: Buffer, container: MimePart): MimePart[] {
  const verbatim = isIdentityEncoding(container.transferEncoding);
  const text = verbatim ? buffer : container.decode();
  const from = verbatim ? container.bodyRange.start : 0;
  const to = verbatim ? container.bodyRange.end : text.length;
  return findUuencodedBlocks(text, from, to).map((block, index) => uuencodedPart(buffer, container, block, index + 1, verbatim));
}

function uuencodedPart(buffer: Buffer, container: MimePart, block: UuencodedBlock, ordinal: number, verbatim: boolean): MimePart {
  const part: MimePart = {
    path: `${container.path}#uu${ordinal}`,
    origin: 'uuencode',
    contentType: 'application/octet-stream',
    params: {},
    fileName: block.fileName,
    disposition: 'attachment',
    transferEncoding: block.variant === 'base64' ? 'base64' : 'x-uuencode',
    rawHeader: Buffer.alloc(0),
    headerRange: verbatim ? { start: block.start, end: block.start } : container.headerRange,
    bodyRange: verbatim ? { start: block.start, end: block.end } : container.bodyRange,
    source: container.source,
    containerPath: container.path,
    decode: () => decodeUuencodedBlock(verbatim ? buffer : container.decode(), block),
  };
  if (!verbatim) part.insideEncodedText = true;
  if (!block.terminated) part.malformed = `uuencoded "${block.fileName}" has no "${block.variant === 'base64' ? '====' : 'end'}" line`;
  return part;
}
