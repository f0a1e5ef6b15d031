import type { BodyContext } from '../protocol/engine.js';
import type { PendingBody } from './body-slots.js';
import type { BodySectionItem } from './fetch-item.js';
import { headerKeys, headersNeeded, MESSAGE_HEADER } from './section-headers.js';

// bodyEnd starts a body's scan, so it waits until the response has told what the scan needs: the
// header sections of headersNeeded (kept here as they pass) and the UID. Servers tend to answer in
// the order asked, and the engine asks for headers first, so usually nothing waits; a server that
// sends them after the body holds the scan until they come or the response is complete. What was
// learnt after bodyBegin rides on bodyEnd as `context`.

interface Waiting {
  body: PendingBody;
  kind: BodySectionItem;
  /** What its bodyBegin context carried. */
  announced: BodyContext;
  /** The literal (or quoted string) is complete. */
  contentDone: boolean;
}

export type EndBody = (body: PendingBody, late: Partial<BodyContext> | undefined) => void;

export class BodyEnding {
  /** Header sections of the response, by section spec (`HEADER`, `2.MIME`). */
  private readonly headers = new Map<string, Buffer>();
  private readonly waiting: Waiting[] = [];

  constructor(
    private readonly uid: () => number | undefined,
    private readonly end: EndBody,
  ) {}

  /** The headers known now for a section: its own (`n.MIME`, `n.HEADER` of BODY[n.TEXT]) and the message's. */
  headerContext(kind: BodySectionItem): Pick<BodyContext, 'partHeader' | 'messageHeader'> {
    const needs = headersNeeded(kind);
    const own = needs.part ?? (needs.text === MESSAGE_HEADER ? undefined : needs.text);
    const partHeader = own === undefined ? undefined : this.headers.get(own);
    const messageHeader = kind.scope === 'whole' ? undefined : this.headers.get(MESSAGE_HEADER);
    return { ...(partHeader ? { partHeader } : {}), ...(messageHeader ? { messageHeader } : {}) };
  }

  /** A body was announced with this context. */
  begun(body: PendingBody, kind: BodySectionItem, announced: BodyContext): void {
    this.waiting.push({ body, kind, announced, contentDone: false });
  }

  /** The content of a body is all there: it ends now, or once what its scan needs has arrived. */
  contentDone(body: PendingBody, responseComplete: boolean): void {
    const entry = this.waiting.find((e) => e.body === body);
    if (!entry) return this.end(body, undefined);
    entry.contentDone = true;
    if (responseComplete || this.ready(entry)) this.finish(entry);
  }

  headerKnown(key: string, bytes: Buffer): void {
    this.headers.set(key, bytes);
    this.release(false);
  }

  /** Ends the bodies that have what they need, or (the response is complete or cut off) every complete one. */
  release(all: boolean): void {
    for (const entry of [...this.waiting]) {
      if (!entry.contentDone || entry.body.abandoned) continue;
      if (all || this.ready(entry)) this.finish(entry);
    }
  }

  private ready(entry: Waiting): boolean {
    return this.uid() !== undefined && headerKeys(headersNeeded(entry.kind)).every((key) => this.headers.has(key));
  }

  private finish(entry: Waiting): void {
    this.waiting.splice(this.waiting.indexOf(entry), 1);
    this.end(entry.body, this.lateContext(entry));
  }

  /** Context fields learnt since bodyBegin. */
  private lateContext(entry: Waiting): Partial<BodyContext> | undefined {
    const now = this.headerContext(entry.kind);
    const late: Partial<BodyContext> = {};
    const uid = this.uid();
    if (uid !== undefined && entry.announced.uid === undefined) late.uid = uid;
    if (now.partHeader && !entry.announced.partHeader) late.partHeader = now.partHeader;
    if (now.messageHeader && !entry.announced.messageHeader) late.messageHeader = now.messageHeader;
    return Object.keys(late).length > 0 ? late : undefined;
  }
}
