// Something the proxy itself does on the IMAP server inside a user's session (#14 retroactive
// remediation): move a released message whose attachment later got a blocking verdict into the
// quarantine folder, or flag it. The proxy never logs in on its own; it acts only in sessions the
// user opens, with its own tags, hiding its responses from the client.

export interface ServerAction {
  /** The remediation's id in state.db (fetch-original: the session's own counter). */
  id: number;
  /**
   * move / flag: remediation. fetch-original: read the whole message (BODY.PEEK[], hidden from the
   * client) so the quarantine keeps the whole original of a part the client fetched alone (#12 §7).
   */
  kind: 'move' | 'flag' | 'fetch-original';
  mailbox: string;
  uidValidity: string;
  uid: number;
  /** Where `move` puts the message (created when missing). */
  folder: string;
  /** fetch-original: the quarantine entry that holds only the part so far. */
  quarantineId?: string;
}

/**
 * done: moved, flagged, or the whole message read. gone: the message is no longer there under that UIDVALIDITY/UID (nothing to do).
 * failed: the server refused; unsupported: the server lacks what a safe move needs (MOVE, or UIDPLUS for
 * UID EXPUNGE; never a bare EXPUNGE, which would remove other deleted mail).
 */
export type ServerActionOutcome = 'done' | 'gone' | 'failed' | 'unsupported';
