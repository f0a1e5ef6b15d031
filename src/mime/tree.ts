// Builds the MIME entity tree of a message in one pass over its bytes, recording byte ranges.
//
// Parsing follows Dovecot's lib-mail message-parser (prefix-matched delimiters, the CRLF before a
// delimiter belongs to the delimiter, a delimiter ends a header block that lacks its empty line,
// multipart/digest children default to message/rfc822) so that part numbers match the BODYSTRUCTURE
// the server hands the client. The scan is iterative and each step moves forward, so depth and
// hostile input cost time linear in the message size.
import { isBlankLine, lineBreakBefore, nextLineStart } from './bytes.js';
import { delimiterAt, nextDelimiter, type OpenBoundary } from './delimiter.js';
import { splitHeaderFields, type HeaderField } from './header-fields.js';
import { describePart, type PartHeaderInfo } from './part-header.js';
import { emptyWalkWork, type ByteRange, type WalkLimits, type WalkWork } from './types.js';

export type NodeKind = 'leaf' | 'multipart' | 'message';

export interface MimeNode {
  /** IMAP part number; "<prefix>.TEXT" (or "TEXT") for a multipart that is a message's top entity. */
  path: string;
  kind: NodeKind;
  parent?: MimeNode;
  /** The entity's header is a message header: the top-level message, or one inside message/rfc822. */
  isMessageRoot: boolean;
  depth: number;
  headerRange: ByteRange;
  bodyRange: ByteRange;
  fields: HeaderField[];
  info: PartHeaderInfo;
  children: MimeNode[];
  problems: string[];
}

export interface MimeTree {
  root: MimeNode;
  /** Every entity in message order. */
  nodes: MimeNode[];
  problems: string[];
  work: WalkWork;
}

/** The top entity when its header is not part of the buffer (a single-part fetch such as BODY[2]). */
export interface DetachedRoot {
  info: PartHeaderInfo;
  fields: HeaderField[];
  path: string;
}

const IDENTITY_ENCODINGS = new Set(['7bit', '8bit', 'binary']);
const MAX_PROBLEMS = 50;

export function buildTree(buffer: Buffer, limits: WalkLimits, detachedRoot?: DetachedRoot): MimeTree {
  return new TreeBuilder(buffer, limits).build(detachedRoot);
}

class TreeBuilder {
  private readonly nodes: MimeNode[] = [];
  private readonly problems: string[] = [];
  private readonly stack: OpenBoundary<MimeNode>[] = [];
  private readonly work = emptyWalkWork();

  constructor(
    private readonly buffer: Buffer,
    private readonly limits: WalkLimits,
  ) {}

  build(detachedRoot?: DetachedRoot): MimeTree {
    const root = detachedRoot ? this.detachedNode(detachedRoot) : this.readEntity(0, undefined, true);
    let node: MimeNode | undefined = root;
    while (node !== undefined) node = this.enter(node);
    for (const entity of this.nodes) if (entity.bodyRange.end === -1) entity.bodyRange.end = this.buffer.length;
    for (const open of this.stack) this.report(open.owner, 'missing closing boundary');
    for (const entity of this.nodes) this.collapseEmptyMultipart(entity);
    assignPaths(root, detachedRoot?.path);
    return { root, nodes: this.nodes, problems: this.problems, work: this.work };
  }

  /** Starts the body of `node`; returns the next entity to enter, or undefined at the end of input. */
  private enter(node: MimeNode): MimeNode | undefined {
    if (node.kind === 'message') {
      if (this.nodes.length < this.limits.maxParts) return this.readEntity(node.bodyRange.start, node, true);
      this.report(node, `more than ${this.limits.maxParts} MIME parts; the rest is one part`);
      node.kind = 'leaf';
    }
    if (node.kind === 'multipart' && node.info.boundary) this.stack.push({ owner: node, boundary: node.info.boundary });
    return this.continueFrom(node, node.bodyRange.start);
  }

  /** Scans from `from` inside `current` for the delimiter that ends it or starts a sibling. */
  private continueFrom(current: MimeNode, from: number): MimeNode | undefined {
    for (;;) {
      const delimiter = nextDelimiter(this.buffer, from, this.stack, this.work);
      if (delimiter === undefined) return undefined;
      const owner = delimiter.owner;
      let contentEnd = lineBreakBefore(this.buffer, delimiter.lineStart, from);
      if (contentEnd === delimiter.lineStart && owner !== current) contentEnd = this.lendBlankLineToDelimiter(current, contentEnd);
      this.closeOpenAt(current, contentEnd, owner);
      for (const skipped of this.stack.splice(delimiter.stackIndex + 1)) this.report(skipped.owner, 'missing closing boundary');
      const lineEnd = nextLineStart(this.buffer, delimiter.lineStart);
      if (delimiter.closing) {
        this.stack.pop();
        current = owner;
        from = lineEnd;
        continue;
      }
      if (this.nodes.length >= this.limits.maxParts) {
        this.report(owner, `more than ${this.limits.maxParts} MIME parts; the rest is one part`);
        this.stack.length = 0;
        return this.remainderLeaf(lineEnd, owner);
      }
      return this.readEntity(lineEnd, owner, false);
    }
  }

  /**
   * A delimiter right after an entity's empty header line needs a line break of its own: as in Dovecot,
   * that empty line's break becomes the delimiter's, so the entity's header ends before it and a rewrite
   * of the entity can never glue the delimiter to the previous line.
   */
  private lendBlankLineToDelimiter(current: MimeNode, delimiterStart: number): number {
    const { headerRange, bodyRange } = current;
    if (bodyRange.start !== delimiterStart || headerRange.end !== delimiterStart) return delimiterStart;
    const blankLineStart = lineBreakBefore(this.buffer, delimiterStart, headerRange.start);
    headerRange.end = blankLineStart;
    bodyRange.start = blankLineStart;
    return blankLineStart;
  }

  /** Ends the bodies of `node` and its open ancestors below `stopAt`. */
  private closeOpenAt(node: MimeNode, end: number, stopAt?: MimeNode): void {
    for (let open: MimeNode | undefined = node; open !== undefined && open !== stopAt; open = open.parent) {
      if (open.bodyRange.end === -1) open.bodyRange.end = Math.max(end, open.bodyRange.start);
    }
  }

  private readEntity(start: number, parent: MimeNode | undefined, isMessageRoot: boolean): MimeNode {
    const { headerEnd, bodyStart, endedByDelimiter } = this.findHeaderEnd(start);
    const split = splitHeaderFields(this.buffer, start, headerEnd, this.limits);
    const defaultType = !isMessageRoot && parent?.info.contentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    const node = this.addNode({
      kind: 'leaf',
      parent,
      isMessageRoot,
      depth: parent ? parent.depth + 1 : 0,
      headerRange: { start, end: headerEnd },
      bodyRange: { start: bodyStart, end: endedByDelimiter ? bodyStart : -1 },
      fields: split.fields,
      info: describePart(this.buffer, split.fields, defaultType),
    });
    if (split.truncated) this.report(node, split.truncated);
    // RFC 5322 forbids NUL anywhere in a header; readers disagree on where such a field ends.
    if (this.buffer.subarray(start, headerEnd).includes(0)) this.report(node, 'NUL byte in header');
    node.kind = endedByDelimiter ? 'leaf' : this.kindOf(node);
    return node;
  }

  private detachedNode(root: DetachedRoot): MimeNode {
    const node = this.addNode({
      kind: 'leaf',
      parent: undefined,
      isMessageRoot: false,
      depth: 0,
      headerRange: { start: 0, end: 0 },
      bodyRange: { start: 0, end: -1 },
      fields: root.fields,
      info: root.info,
    });
    node.kind = this.kindOf(node);
    return node;
  }

  private remainderLeaf(start: number, parent: MimeNode): MimeNode {
    return this.addNode({
      kind: 'leaf',
      parent,
      isMessageRoot: false,
      depth: parent.depth + 1,
      headerRange: { start, end: start },
      bodyRange: { start, end: this.buffer.length },
      fields: [],
      info: { contentType: 'application/octet-stream', params: {}, transferEncoding: '7bit' },
    });
  }

  private addNode(fields: Omit<MimeNode, 'path' | 'children' | 'problems'>): MimeNode {
    const node: MimeNode = { ...fields, path: '', children: [], problems: [] };
    this.work.entities++;
    if (node.depth > this.work.maxDepth) this.work.maxDepth = node.depth;
    node.parent?.children.push(node);
    this.nodes.push(node);
    return node;
  }

  private kindOf(node: MimeNode): NodeKind {
    const { contentType, boundary, transferEncoding } = node.info;
    const isMultipart = contentType.startsWith('multipart/');
    const isMessage = contentType === 'message/rfc822';
    if (!isMultipart && !isMessage) return 'leaf';
    if (isMultipart && !boundary) {
      this.report(node, 'multipart without a boundary parameter');
      return 'leaf';
    }
    if (isMessage && !IDENTITY_ENCODINGS.has(transferEncoding)) {
      node.problems.push(`message/rfc822 with ${transferEncoding} transfer encoding is not walked into`);
      return 'leaf';
    }
    if (node.depth >= this.limits.maxDepth) {
      this.report(node, `MIME nesting deeper than ${this.limits.maxDepth}; the rest is one part`);
      return 'leaf';
    }
    return isMultipart ? 'multipart' : 'message';
  }

  /**
   * Header lines run to the empty line. A delimiter line of an open multipart ends the block early
   * (the entity then has no body); the line break before it belongs to the delimiter.
   */
  private findHeaderEnd(start: number): { headerEnd: number; bodyStart: number; endedByDelimiter: boolean } {
    const buffer = this.buffer;
    for (let lineStart = start; lineStart < buffer.length; ) {
      this.work.headerLines++;
      if (delimiterAt(buffer, lineStart, this.stack, this.work)) {
        const headerEnd = lineBreakBefore(buffer, lineStart, start);
        return { headerEnd, bodyStart: headerEnd, endedByDelimiter: true };
      }
      const lineEnd = nextLineStart(buffer, lineStart);
      if (isBlankLine(buffer, lineStart, lineEnd)) return { headerEnd: lineEnd, bodyStart: lineEnd, endedByDelimiter: false };
      lineStart = lineEnd;
    }
    return { headerEnd: buffer.length, bodyStart: buffer.length, endedByDelimiter: false };
  }

  /** A multipart in which no delimiter was found is read as one part holding all of its body. */
  private collapseEmptyMultipart(node: MimeNode): void {
    if (node.kind !== 'multipart' || node.children.length > 0) return;
    node.kind = 'leaf';
    this.report(node, 'no part found for the multipart boundary');
  }

  private report(node: MimeNode, problem: string): void {
    node.problems.push(problem);
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem);
  }
}

function joinPath(prefix: string, item: string | number): string {
  return prefix === '' ? String(item) : `${prefix}.${item}`;
}

/** RFC 3501 §6.4.5 part numbers. `detachedPath` names the top entity of a single-part fetch. */
function assignPaths(root: MimeNode, detachedPath?: string): void {
  const pending: { node: MimeNode; prefix: string }[] = [];
  if (detachedPath === undefined) pending.push({ node: root, prefix: '' });
  else {
    root.path = detachedPath;
    pushChildren(root, pending);
  }
  while (pending.length > 0) {
    const { node, prefix } = pending.pop()!;
    if (node.isMessageRoot) node.path = joinPath(prefix, node.kind === 'multipart' ? 'TEXT' : 1);
    else node.path = prefix;
    pushChildren(node, pending, node.isMessageRoot ? prefix : node.path);
  }
}

function pushChildren(node: MimeNode, pending: { node: MimeNode; prefix: string }[], prefix: string = node.path): void {
  if (node.kind === 'message') {
    for (const child of node.children) pending.push({ node: child, prefix: node.path });
    return;
  }
  node.children.forEach((child, index) => {
    if (node.kind === 'multipart') pending.push({ node: child, prefix: joinPath(prefix, index + 1) });
  });
}
