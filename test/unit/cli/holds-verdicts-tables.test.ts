import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatHoldsTable } from '../../../src/cli/holds-commands.js';
import { printable } from '../../../src/cli/text-table.js';
import { formatVerdictsTable, parseSha256 } from '../../../src/cli/verdicts-commands.js';
import { UserError } from '../../../src/user-error.js';
import { sampleHolds } from '../../helpers/test-hold-registry.js';

describe('holds and verdicts tables', () => {
  it('holds: one row per hold with session, account, IMAP mailbox/UID or POP3 number, parts, backends, since and time left', () => {
    const [header, imap, pop3] = formatHoldsTable(sampleHolds());
    assert.match(header, /^ID +SESSION +ACCOUNT +MESSAGE +SUBJECT +PART +BACKEND +WAITING SINCE +TIME LEFT$/);
    assert.match(imap, /^h1 +7 +alice \(imap\.example\.com:993\) +INBOX UID 42 +Quarterly report +report\.docm +sandbox +2026-12-07T01:00:00Z +95s$/);
    assert.match(pop3, /^h2 +12 +bob@example\.net \(pop\.example\.net:995\) +POP3 #3 +invoice\?\[31m +invoice\.pdf, scan\.zip +icap, yara +2026-12-07T01:01:00Z +12s$/);
    // Columns line up.
    assert.equal(imap.indexOf('INBOX'), header.indexOf('MESSAGE'));
    assert.equal(pop3.indexOf('POP3 #3'), header.indexOf('MESSAGE'));
    assert.equal(pop3.indexOf('12s'), header.indexOf('TIME LEFT'));
  });

  it('a long subject is clipped; a time already past shows 0s', () => {
    const [hold] = sampleHolds();
    const [, row] = formatHoldsTable([{ ...hold, subject: 's'.repeat(100), timeLeftSeconds: -3 }]);
    assert.match(row, new RegExp(` ${'s'.repeat(39)}… `));
    assert.match(row, / 0s$/);
  });

  it('verdicts: full SHA-256 (what show and forget take), verdict, source, backend, time, name', () => {
    const lines = formatVerdictsTable([
      { sha256: 'a'.repeat(64), verdict: 'malicious', backend: 'analysis:sandbox', name: 'Trojan.X', decidedAt: Date.UTC(2026, 11, 7, 1, 2, 3, 456), source: 'engine' },
      { sha256: 'b'.repeat(64), verdict: 'clean', backend: 'cli', decidedAt: Date.UTC(2026, 11, 6), source: 'manual' },
    ]);
    assert.match(lines[0], /^SHA256 +VERDICT +SOURCE +BACKEND +DECIDED +NAME$/);
    assert.match(lines[1], new RegExp(`^${'a'.repeat(64)}  malicious +engine +analysis:sandbox +2026-12-07T01:02:03Z +Trojan\\.X$`));
    assert.match(lines[2], new RegExp(`^${'b'.repeat(64)}  clean +manual +cli +2026-12-06T00:00:00Z +-$`));
  });

  it('SHA-256 arguments are lowercased; anything else is a user error', () => {
    assert.equal(parseSha256('AB'.repeat(32)), 'ab'.repeat(32));
    assert.throws(() => parseSha256('ab'.repeat(31)), (error: unknown) => error instanceof UserError && /not a SHA-256: 'a.*' \(64 hex digits expected\)/.test(error.message));
    assert.throws(() => parseSha256(`${'g'.repeat(64)}`), UserError);
  });

  it('control characters never reach the terminal', () => {
    assert.equal(printable('a\u001b]0;x\u0007b\u009bc\r\n'), 'a?]0;x?b?c??');
  });
});
