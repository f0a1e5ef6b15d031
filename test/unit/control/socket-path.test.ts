import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { checkSocketPathLength, controlSocketPath, maxSocketPathBytes } from '../../../src/control/socket-path.js';
import { UserError } from '../../../src/user-error.js';

describe('control socket path', () => {
  it('is control.sock in the data dir on POSIX systems', () => {
    assert.equal(controlSocketPath('/home/alice/.inboxguard', 'linux'), '/home/alice/.inboxguard/control.sock');
    assert.equal(controlSocketPath('/Users/alice/.inboxguard', 'darwin'), '/Users/alice/.inboxguard/control.sock');
  });

  it('is a named pipe on Windows, one per data dir whatever its case', () => {
    const pipe = controlSocketPath('C:\\Users\\Alice\\.inboxguard', 'win32');
    assert.match(pipe, /^\\\\\.\\pipe\\inboxguard-[0-9a-f]{24}$/);
    assert.equal(controlSocketPath('c:\\users\\alice\\.inboxguard', 'win32'), pipe);
    assert.notEqual(controlSocketPath('C:\\Users\\Bob\\.inboxguard', 'win32'), pipe);
    // Derived from the Windows path itself, not from the directory the tests run in.
    assert.equal(pipe, `\\\\.\\pipe\\inboxguard-${createHash('sha256').update('c:\\users\\alice\\.inboxguard').digest('hex').slice(0, 24)}`);
  });

  it('a path longer than sun_path allows is a one-line user error naming the fix', () => {
    const fits = `/${'d'.repeat(maxSocketPathBytes('linux') - 1)}`;
    assert.doesNotThrow(() => checkSocketPathLength(fits, 'linux'));
    assert.throws(() => checkSocketPathLength(`${fits}x`, 'linux'), (error: unknown) => error instanceof UserError && /108 bytes long.*\(107\); use a shorter --data-dir/.test(error.message));
    assert.throws(() => checkSocketPathLength(fits, 'darwin'), UserError);
  });
});
