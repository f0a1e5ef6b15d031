// fast-check model of MIME trees and their serialization, with the part list a correct walker must find.
import fc from 'fast-check';

export type Encoding = '7bit' | '8bit' | 'base64' | 'quoted-printable';

export interface LeafModel {
  kind: 'leaf';
  contentType?: string;
  encoding: Encoding;
  content: Buffer;
  fileName?: string;
}
export interface MultipartModel {
  kind: 'multipart';
  subtype: string;
  children: TreeModel[];
  preamble: string;
  epilogue: string;
}
export interface MessageModel {
  kind: 'message';
  inner: TreeModel;
}
export type TreeModel = LeafModel | MultipartModel | MessageModel;

export interface ExpectedLeaf {
  path: string;
  content: Buffer;
  fileName?: string;
  contentType: string;
}

export interface GeneratedMessage {
  bytes: Buffer;
  leaves: ExpectedLeaf[];
  eol: '\r\n' | '\n';
}

const SAFE_TEXT = fc.stringMatching(/^[a-z0-9 ,.]{0,40}$/);
const TEXT_LINES = fc.array(SAFE_TEXT, { minLength: 0, maxLength: 6 });
const EIGHT_BIT_LINE = fc.array(fc.oneof(fc.integer({ min: 0x41, max: 0x7a }), fc.integer({ min: 0x80, max: 0xff })), { maxLength: 30 });

const leafArbitrary: fc.Arbitrary<LeafModel> = fc.oneof(
  fc.record({
    kind: fc.constant('leaf' as const),
    contentType: fc.constantFrom('text/plain', 'text/html', undefined),
    encoding: fc.constant('7bit' as const),
    content: TEXT_LINES.map((lines) => Buffer.from(lines.join('\n'))),
    fileName: fc.constant(undefined),
  }),
  fc.record({
    kind: fc.constant('leaf' as const),
    contentType: fc.constant('text/plain; charset=iso-8859-1'),
    encoding: fc.constant('8bit' as const),
    content: fc.array(EIGHT_BIT_LINE, { maxLength: 4 }).map((lines) => Buffer.from(lines.map((line) => Buffer.from(line).toString('latin1')).join('\n'), 'latin1')),
    fileName: fc.constant(undefined),
  }),
  fc.record({
    kind: fc.constant('leaf' as const),
    contentType: fc.constantFrom('application/octet-stream', 'application/pdf', 'text/plain; charset=utf-8'),
    encoding: fc.constantFrom('base64' as const, 'quoted-printable' as const),
    content: fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
    fileName: fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), { nil: undefined }),
  }),
);

export const treeArbitrary: fc.Arbitrary<TreeModel> = fc.letrec<{ tree: TreeModel; multipart: MultipartModel; message: MessageModel }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArbitrary, tie('multipart'), tie('message')),
  multipart: fc.record({
    kind: fc.constant('multipart' as const),
    subtype: fc.constantFrom('mixed', 'alternative', 'related'),
    children: fc.array(tie('tree'), { minLength: 1, maxLength: 4 }),
    preamble: SAFE_TEXT,
    epilogue: SAFE_TEXT,
  }),
  message: fc.record({ kind: fc.constant('message' as const), inner: tie('tree') }),
})).tree;

export const messageArbitrary: fc.Arbitrary<GeneratedMessage> = fc
  .tuple(treeArbitrary, fc.constantFrom('\r\n' as const, '\n' as const))
  .map(([tree, eol]) => serializeMessage(tree, eol));

export function serializeMessage(tree: TreeModel, eol: '\r\n' | '\n'): GeneratedMessage {
  const leaves: ExpectedLeaf[] = [];
  const boundaries = { next: 0 };
  const body = entity(tree, ['From: a@example.com', 'Subject: generated', 'MIME-Version: 1.0'], '', true, leaves, boundaries, eol);
  return { bytes: body, leaves, eol };
}

function joinPath(prefix: string, item: string | number): string {
  return prefix === '' ? String(item) : `${prefix}.${item}`;
}

/** Serializes one entity; `path` is its IMAP number, or for a message top entity the prefix. */
function entity(
  node: TreeModel,
  extraHeaders: string[],
  path: string,
  isMessageTop: boolean,
  leaves: ExpectedLeaf[],
  boundaries: { next: number },
  eol: string,
): Buffer {
  const ownPath = isMessageTop && node.kind !== 'multipart' ? joinPath(path, 1) : path;
  const header = [...extraHeaders];
  let body: Buffer;
  if (node.kind === 'leaf') {
    if (node.contentType) header.push(`Content-Type: ${node.contentType}`);
    if (node.encoding !== '7bit') header.push(`Content-Transfer-Encoding: ${node.encoding}`);
    if (node.fileName !== undefined) header.push(`Content-Disposition: attachment; filename*=utf-8''${encodeURIComponent(node.fileName).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`);
    body = encodeBody(node.content, node.encoding, eol);
    leaves.push({
      path: ownPath,
      content: node.encoding === '7bit' || node.encoding === '8bit' ? withEol(node.content, eol) : node.content,
      contentType: (node.contentType ?? 'text/plain').split(';')[0],
      ...(node.fileName !== undefined ? { fileName: node.fileName } : {}),
    });
  } else if (node.kind === 'message') {
    header.push('Content-Type: message/rfc822');
    body = entity(node.inner, ['Subject: inner', 'MIME-Version: 1.0'], ownPath, true, leaves, boundaries, eol);
  } else {
    const boundary = `=_b${boundaries.next++}_${'x'.repeat(boundaries.next % 3)}`;
    header.push(`Content-Type: multipart/${node.subtype}; boundary="${boundary}"`);
    const childPrefix = isMessageTop ? path : ownPath;
    const chunks: Buffer[] = [Buffer.from(node.preamble ? node.preamble + eol : '')];
    node.children.forEach((child, index) => {
      chunks.push(Buffer.from(`--${boundary}${eol}`));
      chunks.push(entity(child, [], joinPath(childPrefix, index + 1), false, leaves, boundaries, eol));
      chunks.push(Buffer.from(eol));
    });
    chunks.push(Buffer.from(`--${boundary}--${eol}${node.epilogue}`));
    body = Buffer.concat(chunks);
  }
  return Buffer.concat([Buffer.from(header.map((line) => line + eol).join('') + eol, 'latin1'), body]);
}

function withEol(content: Buffer, eol: string): Buffer {
  return Buffer.from(content.toString('latin1').replace(/\n/g, eol), 'latin1');
}

function encodeBody(content: Buffer, encoding: Encoding, eol: string): Buffer {
  if (encoding === '7bit' || encoding === '8bit') return withEol(content, eol);
  if (encoding === 'base64') return Buffer.from((content.toString('base64').match(/.{1,76}/g) ?? []).join(eol));
  return Buffer.from(quotedPrintable(content, eol));
}

/** Encodes every byte that is not a safe letter/digit, so no line can start a delimiter or end in blanks. */
function quotedPrintable(content: Buffer, eol: string): string {
  let out = '';
  let lineLength = 0;
  for (const byte of content) {
    const safe = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
    const token = safe ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    if (lineLength + token.length > 75) {
      out += `=${eol}`;
      lineLength = 0;
    }
    out += token;
    lineLength += token.length;
  }
  return out;
}
