// What a body is, as the engine that announced it describes it: which protocol, section, mailbox, UID.
// A leaf: the engines fill it in (protocol/engine.ts re-exports it as part of the seam), scan/ reads it.

export type Protocol = 'imap' | 'pop3';

export interface BodyContext {
  protocol: Protocol;
  /** IMAP: the FETCH item as the server named it, e.g. "BODY[]", "BODY[2]", "BINARY[1.2]", "RFC822". POP3: "RETR" or "TOP". */
  section: string;
  user?: string;
  mailbox?: string;
  uidValidity?: string;
  uid?: number;
  /** IMAP sequence number or POP3 message number. */
  seq?: number;
  /** POP3: the message's unique id, when the client listed it (UIDL) earlier in the session. */
  uidl?: string;
  /**
   * MIME header of the part, when the section is a single part and the engine knows it (for decoding);
   * for the TEXT of an embedded message (BODY[2.TEXT]), that message's header.
   */
  partHeader?: Buffer;
  /**
   * IMAP: the header of the message a section that is not the whole message belongs to (identity;
   * for BODY[TEXT], header + text is the whole message).
   */
  messageHeader?: Buffer;
  /** True when the section is a single MIME part (BODY[n], BINARY[n]) rather than a whole message. */
  isPart?: boolean;
  /** True when the content is already transfer-decoded (BINARY[…]). */
  decoded?: boolean;
  /** POP3 TOP: the content is headers plus a truncated body. */
  truncated?: boolean;
  /** Filled in by the session: the proxy session's id (log field `session`), for holds. */
  session?: number;
  /** Filled in by the session: which listener and upstream the body came through. */
  listener?: string;
  upstream?: string;
  /** The address the upstream connection actually went to. */
  upstreamIp?: string;
  /** The client application, when it was identified (process name or IMAP ID name). */
  application?: string;
  /** The protection layer that scanned it when not the proxy: the mailbox scan says 'mailbox-scan'. */
  layer?: 'mailbox-scan';
}
