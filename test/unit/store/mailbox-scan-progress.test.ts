import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MailboxScanProgress } from '../../../src/store/mailbox-scan-progress.js';

const root = mkdtempSync(join(tmpdir(), 'inboxguard-mailbox-progress-'));
after(() => rmSync(root, { recursive: true, force: true }));

const message = (uid: number, overrides: Partial<Parameters<MailboxScanProgress['record']>[0]> = {}) => ({
  account: 'alice@imap.example.com:993',
  folder: 'INBOX',
  uidValidity: '100',
  uid,
  signatureVersion: 'v1',
  verdict: 'clean',
  action: 'none',
  ...overrides,
});

describe('mailbox scan progress (state.db)', () => {
  it('knows which UIDs of a folder were scanned with which signature version', () => {
    const dir = join(root, 'a');
    const state = MailboxScanProgress.open(dir);
    state.record(message(1));
    state.record(message(2));
    state.record(message(3, { signatureVersion: 'v0' }));
    state.record(message(4, { folder: 'Archive' }));
    state.record(message(5, { account: 'bob@imap.example.com:993' }));
    assert.deepEqual([...state.scannedUids('alice@imap.example.com:993', 'INBOX', '100', 'v1')].sort(), [1, 2]);
    assert.deepEqual([...state.scannedUids('alice@imap.example.com:993', 'INBOX', '100', 'v0')], [3]);
    assert.deepEqual([...state.scannedUids('alice@imap.example.com:993', 'INBOX', '101', 'v1')], []);
    // Scanned again with new signatures: the row moves to the new version.
    state.record(message(3, { verdict: 'infected', action: 'strip' }));
    assert.deepEqual([...state.scannedUids('alice@imap.example.com:993', 'INBOX', '100', 'v1')].sort(), [1, 2, 3]);
    assert.equal(state.count('alice@imap.example.com:993'), 4);
    assert.equal(state.count('alice@imap.example.com:993', 'INBOX'), 3);
    state.close();
    assert.equal(statSync(join(dir, 'state.db')).mode & 0o777, 0o600);
  });

  it('drops the rows of an old UIDVALIDITY, and everything of an account on restart', () => {
    const state = MailboxScanProgress.open(join(root, 'b'));
    state.record(message(1, { uidValidity: '100' }));
    state.record(message(2, { uidValidity: '100' }));
    state.record(message(1, { uidValidity: '200' }));
    state.record(message(1, { folder: 'Archive' }));
    assert.equal(state.forgetOtherUidValidities('alice@imap.example.com:993', 'INBOX', '200'), 2);
    assert.deepEqual([...state.scannedUids('alice@imap.example.com:993', 'INBOX', '200', 'v1')], [1]);
    assert.equal(state.count('alice@imap.example.com:993', 'Archive'), 1, 'other folders keep theirs');
    state.record(message(9, { account: 'bob@imap.example.com:993' }));
    assert.equal(state.forgetAccount('alice@imap.example.com:993'), 2);
    assert.equal(state.count('alice@imap.example.com:993'), 0);
    assert.equal(state.count('bob@imap.example.com:993'), 1);
    state.close();
  });
});
