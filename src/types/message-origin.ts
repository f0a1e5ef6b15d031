/** Where a scanned message came from, as recorded in events and quarantine entries. */
export interface MessageOrigin {
  listener?: string;
  upstream?: string;
  user?: string;
  mailbox?: string;
  /** IMAP: the mailbox's UIDVALIDITY; with mailbox and uid it names the message. */
  uidValidity?: string;
  uid?: number;
  /** POP3: the message's unique id (UIDL), when the client listed it. */
  uidl?: string;
  /** IMAP FETCH item or POP3 command, e.g. "BODY[]", "BODY[2]", "RETR". */
  section?: string;
  messageId?: string;
  subject?: string;
  /** Set by the mailbox scan ('mailbox-scan'); absent for what the proxy scanned. */
  layer?: 'mailbox-scan';
}
