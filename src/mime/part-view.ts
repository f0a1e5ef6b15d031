// Turns the entity tree into the flat list of content-bearing parts the scanner looks at: every leaf,
// plus every uuencoded block inside a text leaf, each with its checks done.
import { base64Problem, inspectBase64 } from './decode/base64.js';
import { decodeBody, isIdentityEncoding, isKnownTransferEncoding } from './decode/body.js';
import { decodeUuencodedBlock, findUuencodedBlocks, type UuencodedBlock } from './decode/uuencode.js';
import type { MimeNode, MimeTree } from './tree.js';
import type { MimePart, WalkResult } from './types.js';

const MAX_REPORTED_PROBLEMS = 50;

export function partsOfTree(buffer: Buffer, tree: MimeTree, rootHeader?: Buffer): WalkResult {
  const problems = [...tree.problems];
  const parts: MimePart[] = [];
  for (const node of tree.nodes) {
    if (node.kind !== 'leaf') continue;
    const part = leafPart(buffer, node, node === tree.root ? rootHeader : undefined);
    const partProblems = [...node.problems];
    const encodingProblem = transferEncodingProblem(buffer, part);
    if (encodingProblem) {
      partProblems.push(encodingProblem);
      problems.push(`part ${part.path}: ${encodingProblem}`);
    }
    if (partProblems.length > 0) part.malformed = partProblems.join('; ');
    parts.push(part);
    if (part.contentType.startsWith('text/')) {
      for (const uuPart of uuencodedParts(buffer, part)) {
        if (uuPart.malformed) problems.push(`part ${uuPart.path}: ${uuPart.malformed}`);
        parts.push(uuPart);
      }
    }
  }
  const result: WalkResult = { parts, work: tree.work };
  if (problems.length > 0) result.malformed = [...new Set(problems)].slice(0, MAX_REPORTED_PROBLEMS).join('; ');
  return result;
}

export function leafPart(buffer: Buffer, node: MimeNode, rootHeader?: Buffer): MimePart {
  const { headerRange, bodyRange, info } = node;
  return {
    ...info,
    path: node.path,
    origin: 'mime',
    rawHeader: rootHeader ?? buffer.subarray(headerRange.start, headerRange.end),
    headerRange,
    bodyRange,
    decode: () => decodeBody(buffer.subarray(bodyRange.start, bodyRange.end), info.transferEncoding),
  };
}

function transferEncodingProblem(buffer: Buffer, part: MimePart): string | undefined {
  if (part.transferEncoding === 'base64') {
    return base64Problem(inspectBase64(buffer.subarray(part.bodyRange.start, part.bodyRange.end)));
  }
  if (!isKnownTransferEncoding(part.transferEncoding)) return `unknown transfer encoding "${part.transferEncoding}"`;
  return undefined;
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
    containerPath: container.path,
    decode: () => decodeUuencodedBlock(verbatim ? buffer : container.decode(), block),
  };
  if (!verbatim) part.insideEncodedText = true;
  if (!block.terminated) part.malformed = `uuencoded "${block.fileName}" has no "${block.variant === 'base64' ? '====' : 'end'}" line`;
  return part;
}
