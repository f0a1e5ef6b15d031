import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { walkMessage } from '../../../src/mime/index.js';
import { largeMessage } from './large-message.js';

/** Parts largeMessage(megabytes) holds: three attachments and the text parts. */
function expectedParts(megabytes: number): number {
  const text = 'a line of ordinary text in a message body\r\n'.repeat(500);
  return 3 + Math.round((megabytes * 1024 * 1024) / 4 / text.length);
}

// Throughput in MB/s and how it scales from 12.5 MB to 50 MB are measured by
// scripts/bench/unit-timings.ts (JSON); here only what the walk finds is checked.
describe('walkMessage on large messages', () => {
  it('walks a 12.5 MB and a 50 MB message completely: every part, in order, with its whole body', () => {
    for (const megabytes of [12.5, 50]) {
      const message = largeMessage(megabytes);
      const walked = walkMessage(message);
      assert.equal(walked.malformed, undefined);
      assert.equal(walked.parts.length, expectedParts(megabytes), `${megabytes} MB`);
      assert.deepEqual(walked.parts.map((part) => part.path), walked.parts.map((_, index) => String(index + 1)));
      const attachmentBytes = walked.parts.slice(0, 3).map((part) => part.bodyRange.end - part.bodyRange.start);
      assert.ok(attachmentBytes.every((bytes) => bytes === attachmentBytes[0] && bytes > (megabytes * 1024 * 1024) / 4), attachmentBytes.join());
    }
  });
});
