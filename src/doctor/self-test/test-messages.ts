// The self-test mailbox: exactly two messages, built here, never the user's mail. UID 1 carries the
// EICAR test file as an attachment and must come out stripped; UID 2 is clean and must come out
// byte-identical.
import { EICAR_STRING } from '../../scan/engines/builtin/index.js';

const CLEAN_TEXT = 'This message was sent by inboxguard doctor through a test server on this machine.';

function crlf(lines: string[]): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
}

const eicarMessage = crlf([
  'From: inboxguard doctor <doctor@selftest.invalid>',
  'To: you <you@selftest.invalid>',
  'Subject: inboxguard self-test: EICAR attachment',
  'Message-ID: <eicar.selftest@inboxguard.invalid>',
  'Date: Mon, 07 Dec 2026 00:00:00 +0000',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="selftest-boundary"',
  '',
  '--selftest-boundary',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  CLEAN_TEXT,
  '--selftest-boundary',
  'Content-Type: application/octet-stream; name="eicar.com"',
  'Content-Disposition: attachment; filename="eicar.com"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from(EICAR_STRING, 'latin1').toString('base64'),
  '--selftest-boundary--',
]);

const cleanMessage = crlf([
  'From: inboxguard doctor <doctor@selftest.invalid>',
  'To: you <you@selftest.invalid>',
  'Subject: inboxguard self-test: clean message',
  'Message-ID: <clean.selftest@inboxguard.invalid>',
  'Date: Mon, 07 Dec 2026 00:00:00 +0000',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  CLEAN_TEXT,
  '.a line starting with a dot, which POP3 must stuff and unstuff',
]);

export const SELF_TEST_MESSAGES = { eicar: eicarMessage, clean: cleanMessage } as const;

/** In mailbox order (UID and message number 1, then 2). */
export const SELF_TEST_MAILBOX: readonly Buffer[] = [eicarMessage, cleanMessage];

export const SELF_TEST_USER = { user: 'doctor', password: 'self-test' } as const;

/** Why the delivered copy of the EICAR message is not stripped, or undefined when it is. */
export function eicarNotStripped(delivered: Buffer): string | undefined {
  const encoded = Buffer.from(EICAR_STRING, 'latin1').toString('base64');
  if (delivered.equals(eicarMessage)) return 'the EICAR message came through unchanged';
  if (delivered.includes(encoded) || delivered.includes(EICAR_STRING)) return 'the EICAR attachment is still in the delivered message';
  if (!delivered.includes(CLEAN_TEXT)) return 'the clean part of the EICAR message was lost';
  return undefined;
}

/** Why the delivered copy of the clean message differs, or undefined when it is byte-identical. */
export function cleanChanged(delivered: Buffer): string | undefined {
  if (delivered.equals(cleanMessage)) return undefined;
  return `the clean message changed (${cleanMessage.length} bytes sent, ${delivered.length} delivered)`;
}
