// Builds the MIME entity tree of a message in one pass over its bytes, recording byte ranges.
//
// Parsing follows Dovecot's lib-mail message-parser (prefix-matched delimiters, the CRLF before a
// delimiter belongs to the delimiter, a delimiter ends a header block that lacks its empty line,
// multipart/digest children default to message/rfc822) so that part numbers match the BODYSTRUCTURE
// the server hands the client. The scan is iterative and each step moves forward, so depth and
// hostile input cost time linear in the message size. The message may arrive in chunks (TreeBuilder):
// the walk pauses where it needs bytes not yet fed and holds only what it may still read back.
import { isBlankLine, LF, lineBreakBefore } from './bytes.js';
import { ByteWindow } from './byte-window.js';
import { delimiterAt, indexOfLineDashes, type DelimiterLine, type OpenBoundary } from './delimiter.js';
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

/** The tree of a message held whole: the incremental builder fed it in one piece. */
export function buildTree(buffer: Buffer, limits: WalkLimits, detachedRoot?: DetachedRoot): MimeTree {
  const builder = new TreeBuilder(limits, { detachedRoot });
  builder.feed(buffer);
  return builder.end();
}

/** Where a header block is being read from, and what was learnt of it on the way. */
interface HeaderScan {
  start: number;
  /** A copy of the first bytes (all that splitHeaderFields reads) once the block outgrows them. */
  head?: Buffer;
  sawNul: boolean;
}

export interface TreeBuilderOptions {
  /** The top entity when its header is not part of the bytes (a single-part fetch such as BODY[2]). */
  detachedRoot?: DetachedRoot;
  /**
   * Told of each leaf as soon as its last byte has been fed and its end is known (the delimiter after
   * it arrived): its ranges, kind, header fields, problems and IMAP path are then final, so a later
   * stage may read it before the message ends. Leaves that end with the message come only in end()'s tree.
   */
  onLeaf?: (leaf: MimeNode) => void;
}

interface HeaderEnd {
  headerEnd: number;
  bodyStart: number;
  endedByDelimiter: boolean;
}

/**
 * Reads a message fed in chunks of any size (`feed`, then `end`) into the same tree, whatever the
 * chunking. It holds only what it may still read back: the unfinished line, the header block being read
 * (up to maxHeaderBytes) and a few bytes before the current position — never a body. The walk is a
 * generator that pauses where it needs bytes not yet fed; every look-ahead it takes is bounded (a line
 * start plus the longest open boundary), so a pause never changes what a step sees.
 */
export class TreeBuilder {
  private readonly nodes: MimeNode[] = [];
  private readonly problems: string[] = [];
  private readonly stack: OpenBoundary<MimeNode>[] = [];
  private readonly work = emptyWalkWork();
  private readonly window = new ByteWindow();
  /** The earliest position the walk may still read; bytes before it are dropped when more arrive. */
  private keepFrom = 0;
  private ended = false;
  private readonly steps: Generator<void, MimeNode, void>;
  private root?: MimeNode;
  /** What each entity's IMAP path is built on, fixed when it is created (see pathOf). */
  private readonly prefixes = new Map<MimeNode, string>();
  private readonly detachedRoot?: DetachedRoot;
  private readonly onLeaf?: (leaf: MimeNode) => void;

  constructor(
    private readonly limits: WalkLimits,
    options: TreeBuilderOptions = {},
  ) {
    this.detachedRoot = options.detachedRoot;
    this.onLeaf = options.onLeaf;
    this.steps = this.walk();
  }

  /** The next bytes of the message. The chunk is not kept: the caller may reuse it afterwards. */
  feed(chunk: Uint8Array): void {
    if (this.ended) throw new Error('TreeBuilder: fed after end()');
    if (chunk.length === 0) return;
    this.window.append(chunk, this.keepFrom);
    this.advance();
    this.window.settle(this.keepFrom);
  }

  /** Bytes of the message held between feeds (what may still be read back). */
  get heldBytes(): number {
    return this.window.end - this.window.start;
  }

  /** Bytes the builder copied to keep them across feeds: a small multiple of the input at any chunking. */
  get copiedBytes(): number {
    return this.window.copied;
  }

  /** False once the walk is over: later bytes belong to the last entity and change nothing but its end. */
  get wantsMore(): boolean {
    return this.root === undefined;
  }

  /**
   * The end of the message: the finished tree. `length`, the message's size, may be given when bytes
   * were left unfed because the walk wanted no more.
   */
  end(length: number = this.window.end): MimeTree {
    if (this.ended) throw new Error('TreeBuilder: end() called twice');
    if (length !== this.window.end && (this.wantsMore || length < this.window.end)) throw new Error('TreeBuilder: bytes missing before end()');
    this.ended = true;
    this.advance();
    const root = this.root!;
    for (const entity of this.nodes) if (entity.bodyRange.end === -1) entity.bodyRange.end = length;
    for (const open of this.stack) this.report(open.owner, 'missing closing boundary');
    for (const entity of this.nodes) this.collapseEmptyMultipart(entity);
    for (const entity of this.nodes) entity.path = this.pathOf(entity);
    return { root, nodes: this.nodes, problems: this.problems, work: this.work };
  }

  private advance(): void {
    if (this.root !== undefined) return;
    const step = this.steps.next();
    if (step.done) {
      this.root = step.value;
      this.keepFrom = Number.POSITIVE_INFINITY;
    }
  }

  private *walk(): Generator<void, MimeNode, void> {
    const root = this.detachedRoot ? this.detachedNode(this.detachedRoot) : yield* this.readEntity(0, undefined, true);
    let node: MimeNode | undefined = root;
    while (node !== undefined) node = yield* this.enter(node);
    return root;
  }

  /** Starts the body of `node`; returns the next entity to enter, or undefined at the end of input. */
  private *enter(node: MimeNode): Generator<void, MimeNode | undefined, void> {
    if (node.kind === 'message') {
      if (this.nodes.length < this.limits.maxParts) return yield* this.readEntity(node.bodyRange.start, node, true);
      this.report(node, `more than ${this.limits.maxParts} MIME parts; the rest is one part`);
      node.kind = 'leaf';
    }
    if (node.kind === 'multipart' && node.info.boundary) this.stack.push({ owner: node, boundary: node.info.boundary });
    return yield* this.continueFrom(node, node.bodyRange.start);
  }

  /** Scans from `from` inside `current` for the delimiter that ends it or starts a sibling. */
  private *continueFrom(current: MimeNode, from: number): Generator<void, MimeNode | undefined, void> {
    for (;;) {
      const delimiter = yield* this.nextDelimiter(from);
      if (delimiter === undefined) return undefined;
      const owner = delimiter.owner;
      let contentEnd = this.lineBreakBefore(delimiter.lineStart, from);
      if (contentEnd === delimiter.lineStart && owner !== current) contentEnd = this.lendBlankLineToDelimiter(current, contentEnd);
      this.closeOpenAt(current, contentEnd, owner);
      for (const skipped of this.stack.splice(delimiter.stackIndex + 1)) this.report(skipped.owner, 'missing closing boundary');
      const lineEnd = yield* this.lineEnd(delimiter.lineStart);
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
      return yield* this.readEntity(lineEnd, owner, false);
    }
  }

  /** The first delimiter line at or after `from` (a line start), as nextDelimiter() finds it in a whole buffer. */
  private *nextDelimiter(from: number): Generator<void, DelimiterLine<MimeNode> | undefined, void> {
    if (this.stack.length === 0) return undefined;
    // A delimiter right at `from` may borrow the line break before it (lendBlankLineToDelimiter).
    let atStart = this.delimiterAt(from, from - 2);
    if (isGenerator(atStart)) atStart = yield* atStart;
    if (atStart) return atStart;
    for (let searchFrom = from; ; ) {
      const window = this.window;
      const hit = indexOfLineDashes(window.bytes, window.at(searchFrom));
      if (hit === -1) {
        if (this.ended) return undefined;
        // A "\n--" may straddle the end of what has arrived; everything before it is searched.
        searchFrom = Math.max(searchFrom, window.end - 2);
        this.keepFrom = searchFrom - 1;
        yield;
        continue;
      }
      const lineStart = window.start + hit + 1;
      let found = this.delimiterAt(lineStart, lineStart - 2);
      if (isGenerator(found)) found = yield* found;
      if (found) return found;
      searchFrom = lineStart;
    }
  }

  /**
   * delimiterAt() once the bytes it may compare have arrived (or the input ended), so that it answers as
   * it would on the whole message. Meanwhile bytes from `keepFrom` are kept (and, reading a header, its
   * start: see headerKeepFrom). Without a pause, no generator is made: this runs for every header line.
   */
  private delimiterAt(lineStart: number, keepFrom: number, header?: HeaderScan): DelimiterLine<MimeNode> | undefined | Generator<void, DelimiterLine<MimeNode> | undefined, void> {
    if (this.stack.length === 0) return undefined;
    let longest = 0;
    for (const open of this.stack) if (open.boundary.length > longest) longest = open.boundary.length;
    // "--", the boundary, and the "--" that would make it a closing delimiter.
    const needed = lineStart + 4 + longest;
    if (this.ended || this.window.end >= needed) return this.delimiterNow(lineStart);
    return this.delimiterWhenFed(lineStart, needed, keepFrom, header);
  }

  private *delimiterWhenFed(lineStart: number, needed: number, keepFrom: number, header?: HeaderScan): Generator<void, DelimiterLine<MimeNode> | undefined, void> {
    while (!this.ended && this.window.end < needed) {
      this.keepFrom = header ? this.headerKeepFrom(header, keepFrom) : keepFrom;
      yield;
    }
    return this.delimiterNow(lineStart);
  }

  private delimiterNow(lineStart: number): DelimiterLine<MimeNode> | undefined {
    const found = delimiterAt(this.window.bytes, this.window.at(lineStart), this.stack, this.work);
    return found && { ...found, lineStart };
  }

  /** nextLineStart() from `from`, reading on as bytes arrive and keeping none of the line. */
  private *lineEnd(from: number): Generator<void, number, void> {
    for (let scan = from; ; ) {
      const lf = this.window.bytes.indexOf(LF, this.window.at(scan));
      if (lf !== -1) return this.window.start + lf + 1;
      if (this.ended) return this.window.end;
      scan = this.window.end;
      this.keepFrom = scan;
      yield;
    }
  }

  private lineBreakBefore(lineStart: number, floor: number): number {
    const window = this.window;
    return window.start + lineBreakBefore(window.bytes, window.at(lineStart), window.at(floor));
  }

  /**
   * A delimiter right after an entity's empty header line needs a line break of its own: as in Dovecot,
   * that empty line's break becomes the delimiter's, so the entity's header ends before it and a rewrite
   * of the entity can never glue the delimiter to the previous line.
   */
  private lendBlankLineToDelimiter(current: MimeNode, delimiterStart: number): number {
    const { headerRange, bodyRange } = current;
    if (bodyRange.start !== delimiterStart || headerRange.end !== delimiterStart) return delimiterStart;
    const blankLineStart = this.lineBreakBefore(delimiterStart, headerRange.start);
    headerRange.end = blankLineStart;
    bodyRange.start = blankLineStart;
    return blankLineStart;
  }

  /** Ends the bodies of `node` and its open ancestors below `stopAt`. */
  private closeOpenAt(node: MimeNode, end: number, stopAt?: MimeNode): void {
    for (let open: MimeNode | undefined = node; open !== undefined && open !== stopAt; open = open.parent) {
      if (open.bodyRange.end !== -1) continue;
      open.bodyRange.end = Math.max(end, open.bodyRange.start);
      if (open.kind === 'leaf') this.completed(open);
    }
  }

  private *readEntity(start: number, parent: MimeNode | undefined, isMessageRoot: boolean): Generator<void, MimeNode, void> {
    const scan: HeaderScan = { start, sawNul: false };
    const { headerEnd, bodyStart, endedByDelimiter } = yield* this.findHeaderEnd(scan);
    const block = scan.head ?? this.window.bytes.subarray(this.window.at(start), this.window.at(headerEnd));
    const split = splitHeaderFields(block, 0, Math.min(headerEnd - start, block.length), this.limits);
    const defaultType = !isMessageRoot && parent?.info.contentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    const node = this.addNode({
      kind: 'leaf',
      parent,
      isMessageRoot,
      depth: parent ? parent.depth + 1 : 0,
      headerRange: { start, end: headerEnd },
      bodyRange: { start: bodyStart, end: endedByDelimiter ? bodyStart : -1 },
      fields: split.fields.map((field) => ({ ...field, start: field.start + start, end: field.end + start, valueStart: field.valueStart + start })),
      info: describePart(block, split.fields, defaultType),
    });
    if (split.truncated) this.report(node, split.truncated);
    // RFC 5322 forbids NUL anywhere in a header; readers disagree on where such a field ends.
    if (scan.sawNul) this.report(node, 'NUL byte in header');
    node.kind = endedByDelimiter ? 'leaf' : this.kindOf(node);
    if (endedByDelimiter) this.completed(node);
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

  /** Its body runs to the end of the message, set by end(). */
  private remainderLeaf(start: number, parent: MimeNode): MimeNode {
    return this.addNode({
      kind: 'leaf',
      parent,
      isMessageRoot: false,
      depth: parent.depth + 1,
      headerRange: { start, end: start },
      bodyRange: { start, end: -1 },
      fields: [],
      info: { contentType: 'application/octet-stream', params: {}, transferEncoding: '7bit' },
    });
  }

  /** A leaf whose end is known: nothing about it changes any more. */
  private completed(leaf: MimeNode): void {
    if (this.onLeaf === undefined) return;
    leaf.path = this.pathOf(leaf);
    this.onLeaf(leaf);
  }

  /**
   * RFC 3501 §6.4.5 part number. A message's top entity is "1" (or "TEXT" when multipart) below the
   * number of the message/rfc822 part holding it; a child of a multipart adds its position. It depends
   * only on the entity's ancestors and its own kind, so a leaf's is final as soon as the leaf is.
   */
  private pathOf(node: MimeNode): string {
    if (node === this.nodes[0] && this.detachedRoot) return this.detachedRoot.path;
    const prefix = this.prefixes.get(node) ?? '';
    return node.isMessageRoot ? joinPath(prefix, node.kind === 'multipart' ? 'TEXT' : 1) : prefix;
  }

  /** The prefix of the next child of `parent` (whose kind is final once it has a child). */
  private prefixUnder(parent: MimeNode | undefined): string {
    if (parent === undefined) return '';
    if (parent.kind === 'message') return this.pathOf(parent);
    const own = parent.isMessageRoot ? (this.prefixes.get(parent) ?? '') : this.pathOf(parent);
    return joinPath(own, parent.children.length + 1);
  }

  private addNode(fields: Omit<MimeNode, 'path' | 'children' | 'problems'>): MimeNode {
    const node: MimeNode = { ...fields, path: '', children: [], problems: [] };
    this.prefixes.set(node, this.prefixUnder(node.parent));
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
  private *findHeaderEnd(scan: HeaderScan): Generator<void, HeaderEnd, void> {
    const { start } = scan;
    for (let lineStart = start; ; ) {
      while (!this.ended && this.window.end <= lineStart) {
        this.keepFrom = this.headerKeepFrom(scan, lineStart - 2);
        yield;
      }
      if (lineStart >= this.window.end) return { headerEnd: this.window.end, bodyStart: this.window.end, endedByDelimiter: false };
      this.work.headerLines++;
      let delimiter = this.delimiterAt(lineStart, lineStart - 2, scan);
      if (isGenerator(delimiter)) delimiter = yield* delimiter;
      if (delimiter) {
        const headerEnd = this.lineBreakBefore(lineStart, start);
        return { headerEnd, bodyStart: headerEnd, endedByDelimiter: true };
      }
      let lineEnd = this.headerLineEnd(scan, lineStart);
      if (isGenerator(lineEnd)) lineEnd = yield* lineEnd;
      if (isBlankLine(this.window.bytes, this.window.at(lineStart), this.window.at(lineEnd))) return { headerEnd: lineEnd, bodyStart: lineEnd, endedByDelimiter: false };
      lineStart = lineEnd;
    }
  }

  /** The end of the header line at `lineStart`, noting a NUL byte on the way; a generator only when it must wait. */
  private headerLineEnd(scan: HeaderScan, lineStart: number): number | Generator<void, number, void> {
    const lineEnd = this.headerLineEndNow(scan, lineStart);
    return lineEnd === -1 ? this.headerLineEndWhenFed(scan) : lineEnd;
  }

  private *headerLineEndWhenFed(scan: HeaderScan): Generator<void, number, void> {
    for (;;) {
      const from = this.window.end;
      // The line break that ends this line, and a blank line's bytes, are read back.
      this.keepFrom = this.headerKeepFrom(scan, from - 1);
      yield;
      const lineEnd = this.headerLineEndNow(scan, from);
      if (lineEnd !== -1) return lineEnd;
    }
  }

  /** The line's end if it has arrived (or the input ended), else -1; NULs before it are noted either way. */
  private headerLineEndNow(scan: HeaderScan, from: number): number {
    const bytes = this.window.bytes;
    const at = this.window.at(from);
    const lf = bytes.indexOf(LF, at);
    if (!scan.sawNul) {
      const to = lf === -1 ? bytes.length : lf;
      for (let index = at; index < to; index++) {
        if (bytes[index] === 0) {
          scan.sawNul = true;
          break;
        }
      }
    }
    if (lf !== -1) return this.window.start + lf + 1;
    return this.ended ? this.window.end : -1;
  }

  /**
   * What a header block being read keeps: all of it while it fits in what splitHeaderFields reads
   * (maxHeaderBytes and the two bytes of a final line break); past that, a copy of those bytes, and
   * the window moves on from `position`.
   */
  private headerKeepFrom(scan: HeaderScan, position: number): number {
    const window = this.window;
    const read = this.limits.maxHeaderBytes + 2;
    if (scan.head === undefined && window.end - scan.start > read) {
      const at = window.at(scan.start);
      scan.head = Buffer.from(window.bytes.subarray(at, at + read));
    }
    return scan.head === undefined ? scan.start : position;
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

/** A step that had to pause returns a generator to delegate to; one that did not, its answer (no generator made). */
function isGenerator<T>(step: T | Generator<void, T, void>): step is Generator<void, T, void> {
  return typeof step === 'object' && step !== null && typeof (step as { next?: unknown }).next === 'function' && Symbol.iterator in step;
}

function joinPath(prefix: string, item: string | number): string {
  return prefix === '' ? String(item) : `${prefix}.${item}`;
}
