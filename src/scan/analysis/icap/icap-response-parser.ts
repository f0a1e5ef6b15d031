// Incremental parser of ICAP responses (RFC 3507 §4.3.3, §4.4, §4.5): bytes in, at any chunking,
// events out — "100 Continue" (interim, §4.5) and the final response. Sans-io and bounded: the
// ICAP head, the encapsulated HTTP heads and each chunk-size line have caps, and the encapsulated
// body is never kept — it is counted and, when expectBody is given, compared with it byte for
// byte (a server that echoes the content unchanged can be told from one that replaced it). Every
// input byte is looked at a bounded number of times.
import { IcapProtocolError } from './icap-errors.js';

export interface IcapHeader {
  /** Lower-cased. */
  name: string;
  /** Continuation lines (obs-fold) are kept, each after a '\n', trimmed. */
  value: string;
}

export interface IcapResponse {
  status: number;
  reason: string;
  headers: IcapHeader[];
  /** The encapsulated HTTP response head (res-hdr), when the response carried one. */
  httpHead?: string;
  /** Status code of the encapsulated HTTP response. */
  httpStatus?: number;
  /** Bytes of the encapsulated (de-chunked) body; undefined when there was none. */
  bodyBytes?: number;
  /** With expectBody: true when the body is byte for byte the expected content. */
  bodyMatchesExpected?: boolean;
}

export type IcapParserEvent = { kind: 'continue' } | { kind: 'response'; response: IcapResponse };

export interface IcapParserLimits {
  /** ICAP head and encapsulated HTTP heads, each (default 64 KiB). */
  maxHeadBytes?: number;
  /** De-chunked encapsulated body (default 16 MiB). */
  maxBodyBytes?: number;
  expectBody?: Buffer;
}

const MAX_CHUNK_LINE = 1024;
const DEFAULT_MAX_HEAD = 64 * 1024;
const DEFAULT_MAX_BODY = 16 * 1024 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');

type State = 'head' | 'encapsulated-heads' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailer' | 'done';

/** Growable byte buffer (amortised O(1) appends). */
class Accumulator {
  private buf = Buffer.alloc(256);
  length = 0;
  append(bytes: Buffer): void {
    if (this.length + bytes.length > this.buf.length) {
      const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.length + bytes.length));
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    bytes.copy(this.buf, this.length);
    this.length += bytes.length;
  }
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }
  clear(): void {
    this.length = 0;
  }
}

export function parseHeaderLines(lines: string[]): IcapHeader[] {
  const headers: IcapHeader[] = [];
  for (const line of lines) {
    if (line === '') continue;
    if (line[0] === ' ' || line[0] === '\t') {
      const last = headers.at(-1);
      if (!last) throw new IcapProtocolError(`ICAP response starts its headers with a continuation line: '${line.slice(0, 80)}'`);
      last.value += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new IcapProtocolError(`malformed ICAP header line: '${line.slice(0, 80)}'`);
    headers.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return headers;
}

export function headerValue(headers: IcapHeader[], name: string): string | undefined {
  return headers.find((h) => h.name === name)?.value;
}

interface Encapsulation {
  /** Bytes of encapsulated HTTP heads before the body entity. */
  headBytes: number;
  /** Offset of res-hdr within them, when present. */
  resHdr?: { start: number; end: number };
  hasBody: boolean;
}

/** The Encapsulated header (§4.4.1): ordered name=offset pairs; the last is a body or null-body. */
export function parseEncapsulated(value: string): Encapsulation {
  const entities = value.split(',').map((part) => {
    const match = /^\s*(req-hdr|res-hdr|req-body|res-body|opt-body|null-body)=(\d{1,9})\s*$/i.exec(part);
    if (!match) throw new IcapProtocolError(`malformed Encapsulated header: '${value.slice(0, 120)}'`);
    return { name: match[1].toLowerCase(), offset: Number(match[2]) };
  });
  const last = entities[entities.length - 1];
  if (!last.name.endsWith('-body')) throw new IcapProtocolError(`Encapsulated header does not end with a body entity: '${value.slice(0, 120)}'`);
  for (let i = 0; i < entities.length; i++) {
    const entity = entities[i];
    if (i < entities.length - 1 && entity.name.endsWith('-body')) throw new IcapProtocolError(`Encapsulated header has a body before its end: '${value.slice(0, 120)}'`);
    if (i === 0 ? entity.offset !== 0 && entities.length > 1 : entity.offset < entities[i - 1].offset) {
      throw new IcapProtocolError(`Encapsulated header offsets out of order: '${value.slice(0, 120)}'`);
    }
  }
  const resIndex = entities.findIndex((e) => e.name === 'res-hdr');
  return {
    headBytes: last.offset,
    resHdr: resIndex >= 0 ? { start: entities[resIndex].offset, end: entities[resIndex + 1].offset } : undefined,
    hasBody: last.name !== 'null-body',
  };
}

export class IcapResponseParser {
  private state: State = 'head';
  private readonly acc = new Accumulator();
  /** Where the search for the head's end resumes, so that no byte is searched twice. */
  private searchFrom = 0;
  private response: IcapResponse | undefined;
  private encapsulation: Encapsulation | undefined;
  private chunkLeft = 0;
  private bodyBytes = 0;
  private bodyMatches = true;
  private readonly maxHead: number;
  private readonly maxBody: number;

  constructor(private readonly limits: IcapParserLimits = {}) {
    this.maxHead = limits.maxHeadBytes ?? DEFAULT_MAX_HEAD;
    this.maxBody = limits.maxBodyBytes ?? DEFAULT_MAX_BODY;
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** Feeds bytes; returns what they completed. Bytes after the final response are ignored. Throws IcapProtocolError. */
  push(bytes: Buffer): IcapParserEvent[] {
    const events: IcapParserEvent[] = [];
    let at = 0;
    while (at < bytes.length && this.state !== 'done') {
      switch (this.state) {
        case 'head':
        case 'encapsulated-heads':
        case 'chunk-size':
        case 'trailer':
          at = this.takeDelimited(bytes, at, events);
          break;
        case 'chunk-data': {
          const take = Math.min(this.chunkLeft, bytes.length - at);
          this.body(bytes.subarray(at, at + take));
          at += take;
          this.chunkLeft -= take;
          if (this.chunkLeft === 0) this.state = 'chunk-end';
          break;
        }
        case 'chunk-end':
          at = this.takeDelimited(bytes, at, events);
          break;
      }
    }
    return events;
  }

  private body(slice: Buffer): void {
    const expected = this.limits.expectBody;
    if (this.bodyMatches && expected) {
      this.bodyMatches = this.bodyBytes + slice.length <= expected.length && slice.equals(expected.subarray(this.bodyBytes, this.bodyBytes + slice.length));
    }
    this.bodyBytes += slice.length;
    if (this.bodyBytes > this.maxBody) throw new IcapProtocolError(`ICAP response body exceeds ${this.maxBody} bytes`);
  }

  /** Accumulates until this state's delimiter (or, for encapsulated heads, a byte count), then acts. */
  private takeDelimited(bytes: Buffer, at: number, events: IcapParserEvent[]): number {
    if (this.state === 'encapsulated-heads') {
      const want = (this.encapsulation?.headBytes ?? 0) - this.acc.length;
      const take = Math.min(want, bytes.length - at);
      this.acc.append(bytes.subarray(at, at + take));
      if (this.acc.length === this.encapsulation?.headBytes) this.encapsulatedHeadsDone(events);
      return at + take;
    }
    const delimiter = this.state === 'head' ? HEAD_END : CRLF;
    const limit = this.state === 'head' ? this.maxHead : MAX_CHUNK_LINE;
    const before = this.acc.length;
    // Copy no more than the limit allows, so that a packet of many short lines is copied only once.
    const room = Math.max(1, limit + delimiter.length - before);
    const end0 = Math.min(bytes.length, at + room);
    this.acc.append(bytes.subarray(at, end0));
    const found = this.acc.view().indexOf(delimiter, Math.max(0, this.searchFrom - delimiter.length + 1));
    if (found < 0) {
      this.searchFrom = this.acc.length;
      if (this.acc.length > limit) throw new IcapProtocolError(`ICAP ${this.describeState()} exceeds ${limit} bytes`);
      return end0;
    }
    const end = found + delimiter.length;
    if (found > limit) throw new IcapProtocolError(`ICAP ${this.describeState()} exceeds ${limit} bytes`);
    const text = this.acc.view().toString('latin1', 0, found);
    this.acc.clear();
    this.searchFrom = 0;
    const consumed = at + (end - before);
    this.delimited(text, events);
    return consumed;
  }

  private describeState(): string {
    return this.state === 'head' ? 'response head' : this.state === 'trailer' ? 'trailer line' : 'chunk-size line';
  }

  private delimited(text: string, events: IcapParserEvent[]): void {
    switch (this.state) {
      case 'head':
        return this.head(text, events);
      case 'chunk-size': {
        const match = /^([0-9a-fA-F]{1,8})[ \t]*(;.*)?$/.exec(text);
        if (!match) throw new IcapProtocolError(`malformed chunk-size line in ICAP response: '${text.slice(0, 80)}'`);
        const size = parseInt(match[1], 16);
        if (size === 0) this.state = 'trailer';
        else {
          this.chunkLeft = size;
          this.state = 'chunk-data';
        }
        return;
      }
      case 'chunk-end':
        if (text !== '') throw new IcapProtocolError('ICAP response chunk is longer than its chunk-size');
        this.state = 'chunk-size';
        return;
      case 'trailer':
        if (text === '') this.finish(events);
        return;
    }
  }

  private head(text: string, events: IcapParserEvent[]): void {
    const lines = text.split('\r\n');
    const match = /^ICAP\/1\.[0-9] ([1-5][0-9]{2})(?: (.*))?$/.exec(lines[0]);
    if (!match) throw new IcapProtocolError(`not an ICAP status line: '${lines[0].slice(0, 80)}'`);
    const status = Number(match[1]);
    const headers = parseHeaderLines(lines.slice(1));
    if (status === 100) {
      events.push({ kind: 'continue' });
      return;
    }
    this.response = { status, reason: match[2] ?? '', headers };
    const encapsulated = headerValue(headers, 'encapsulated');
    if (encapsulated === undefined) return this.finish(events);
    this.encapsulation = parseEncapsulated(encapsulated);
    if (this.encapsulation.headBytes > this.maxHead) throw new IcapProtocolError(`ICAP encapsulated HTTP heads exceed ${this.maxHead} bytes`);
    if (this.encapsulation.headBytes === 0) this.encapsulatedHeadsDone(events);
    else this.state = 'encapsulated-heads';
  }

  private encapsulatedHeadsDone(events: IcapParserEvent[]): void {
    const encapsulation = this.encapsulation;
    const response = this.response;
    if (!encapsulation || !response) throw new IcapProtocolError('ICAP parser: encapsulated heads without a response');
    const heads = this.acc.view();
    if (encapsulation.resHdr) {
      const httpHead = heads.toString('latin1', encapsulation.resHdr.start, encapsulation.resHdr.end);
      response.httpHead = httpHead;
      const status = /^HTTP\/\d\.\d ([0-9]{3})/.exec(httpHead);
      if (status) response.httpStatus = Number(status[1]);
    }
    this.acc.clear();
    if (!encapsulation.hasBody) {
      this.finish(events);
      return;
    }
    this.state = 'chunk-size';
  }

  private finish(events: IcapParserEvent[]): void {
    const response = this.response;
    if (!response) throw new IcapProtocolError('ICAP parser: finished without a response');
    if (this.encapsulation?.hasBody) {
      response.bodyBytes = this.bodyBytes;
      if (this.limits.expectBody) response.bodyMatchesExpected = this.bodyMatches && this.bodyBytes === this.limits.expectBody.length;
    }
    this.state = 'done';
    events.push({ kind: 'response', response });
  }
}
