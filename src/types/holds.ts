// Messages held for stage-2 analysis (#14), as the running proxy lists them and as the control
// endpoint (control/) and `inboxguard holds` show them. The scan pipeline keeps the live registry.
import type { MessageOrigin } from './message-origin.js';

export interface HoldInfo extends MessageOrigin {
  /** Stable while the hold lasts; `holds release ID` / `holds block ID` take it. */
  id: string;
  protocol: 'imap' | 'pop3';
  /** The proxy session (log field `session`) whose client waits. */
  session?: number;
  /** POP3: the message number in that session. */
  messageNumber?: number;
  /** The parts being analysed: file name (or MIME path) and SHA-256 of the decoded part. */
  parts: { name: string; sha256: string }[];
  /** The backends asked. */
  backends: string[];
  /** ISO 8601. */
  since: string;
  /** Seconds until the maximum wait releases it per analysis.onTimeout. */
  timeLeftSeconds: number;
}

export interface HoldControl {
  list(): HoldInfo[];
  /** Delivers the held message now as stage 1 left it; analysis goes on. False: no such hold. */
  release(id: string): boolean;
  /** Treats the held parts as a blocking verdict (stored as a manual verdict). False: no such hold. */
  block(id: string): boolean;
}
