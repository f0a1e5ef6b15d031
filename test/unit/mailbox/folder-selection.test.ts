import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFolderList, selectFolders, type ServerFolder } from '../../../src/mailbox/folder-selection.js';
import { UserError } from '../../../src/user-error.js';

const folders: ServerFolder[] = [
  { path: 'INBOX', selectable: true },
  { path: 'Archive', selectable: true },
  { path: 'Archive/2023', selectable: true },
  { path: 'Archive/2024', selectable: true },
  { path: 'Projects', selectable: false },
  { path: 'Projects/Alpha', selectable: true },
  { path: 'Sent', selectable: true },
  { path: 'Quarantine', selectable: true },
];

describe('folder selection', () => {
  it('matches names and globs against full paths, INBOX in any case, in the server order', () => {
    assert.deepEqual(selectFolders(folders, { all: false, patterns: ['Sent', 'inbox'] }), ['INBOX', 'Sent']);
    assert.deepEqual(selectFolders(folders, { all: false, patterns: ['Archive/*'] }), ['Archive/2023', 'Archive/2024']);
    assert.deepEqual(selectFolders(folders, { all: false, patterns: ['Archive*', 'Archive/2024'] }), ['Archive', 'Archive/2023', 'Archive/2024']);
    assert.deepEqual(selectFolders(folders, { all: false, patterns: ['Archive/202?'] }), ['Archive/2023', 'Archive/2024']);
    assert.deepEqual(selectFolders(folders, { all: false, patterns: ['*'] }), ['INBOX', 'Archive', 'Archive/2023', 'Archive/2024', 'Projects/Alpha', 'Sent', 'Quarantine']);
  });

  it('folder names other than INBOX are case-sensitive', () => {
    assert.throws(() => selectFolders(folders, { all: false, patterns: ['sent'] }), /folder "sent" does not exist on the server/);
  });

  it('--all-folders takes every selectable folder but the excepted ones', () => {
    assert.deepEqual(selectFolders(folders, { all: true, except: ['Quarantine'] }), ['INBOX', 'Archive', 'Archive/2023', 'Archive/2024', 'Projects/Alpha', 'Sent']);
  });

  it('a name or pattern that matches nothing, or only a \\Noselect folder, is a user error', () => {
    assert.throws(() => selectFolders(folders, { all: false, patterns: ['INBOX', 'Nope'] }), (error: Error) => error instanceof UserError && /folder "Nope" does not exist on the server;/.test(error.message));
    assert.throws(() => selectFolders(folders, { all: false, patterns: ['Old/*'] }), /\(no folder matches\)/);
    assert.throws(() => selectFolders(folders, { all: false, patterns: ['Projects'] }), /folder "Projects" does not exist/);
  });

  it('splits --folders on commas and refuses empty names', () => {
    assert.deepEqual(parseFolderList('INBOX, Archive/*'), ['INBOX', 'Archive/*']);
    assert.throws(() => parseFolderList('INBOX,,Sent'), UserError);
    assert.throws(() => parseFolderList(''), UserError);
  });
});
