// The relay keeps the prelude's `ready` for the whole session: its bytes must not pin the buffers they
// were read into (Buffer.concat's shared 8 KiB pool, a socket read).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detachedReady } from '../../../src/proxy/session.js';

describe('detachedReady', () => {
  it('copies the bytes into buffers of their own size, equal in content', () => {
    const pooled = Buffer.concat([Buffer.from('* OK IMAP4rev1 '), Buffer.from('ready\r\n')]);
    const read = Buffer.alloc(65536, 0x41).subarray(100, 120);
    assert.ok(pooled.buffer.byteLength > pooled.length, 'the test needs a pooled slice');
    const ready = detachedReady({ kind: 'ready', protocol: 'imap', serverBytes: pooled, clientBytes: read, greetingPending: true });
    for (const [copy, original] of [
      [ready.serverBytes, pooled],
      [ready.clientBytes, read],
    ] as const) {
      assert.deepEqual(copy, original);
      assert.equal(copy.buffer.byteLength, original.length);
      assert.notEqual(copy.buffer, original.buffer);
    }
    assert.equal(ready.protocol, 'imap');
    assert.equal(ready.greetingPending, true);
  });

  it('empty bytes stay empty', () => {
    const ready = detachedReady({ kind: 'ready', protocol: 'pop3', serverBytes: Buffer.alloc(0), clientBytes: Buffer.alloc(0), greetingPending: false });
    assert.equal(ready.serverBytes.length + ready.clientBytes.length, 0);
  });
});
