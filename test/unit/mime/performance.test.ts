import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { walkMessage } from '../../../src/mime/index.js';

/** A message of about `megabytes` MB: a few big base64 attachments and many small text parts. */
function largeMessage(megabytes: number): Buffer {
  const attachment = (Buffer.alloc(((megabytes * 1024 * 1024) / 4) * 0.75, 7).toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
  const chunks = ['Content-Type: multipart/mixed; boundary=zz\r\n\r\n'];
  for (let index = 0; index < 3; index++) {
    chunks.push(`--zz\r\nContent-Type: application/octet-stream; name="f${index}.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${attachment}\r\n`);
  }
  const text = 'a line of ordinary text in a message body\r\n'.repeat(500);
  const textParts = Math.round((megabytes * 1024 * 1024) / 4 / text.length);
  for (let index = 0; index < textParts; index++) chunks.push(`--zz\r\nContent-Type: text/plain\r\n\r\n${text}\r\n`);
  chunks.push('--zz--\r\n');
  return Buffer.from(chunks.join(''));
}

function bestWalkMs(message: Buffer, rounds: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    walkMessage(message);
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

describe('walkMessage throughput', () => {
  it('walks a 50 MB message in roughly linear time and reports MB/s', (t) => {
    const small = largeMessage(12.5);
    const large = largeMessage(50);
    const smallMs = bestWalkMs(small, 3);
    const largeMs = bestWalkMs(large, 3);
    const rate = large.length / 1e6 / (largeMs / 1000);
    t.diagnostic(`${(large.length / 1e6).toFixed(1)} MB walked in ${largeMs.toFixed(0)} ms: ${rate.toFixed(0)} MB/s (12.5 MB: ${smallMs.toFixed(0)} ms)`);
    assert.ok(largeMs < 10_000, `50 MB took ${largeMs.toFixed(0)} ms`);
    assert.ok(largeMs < smallMs * 4 * 2.5, `not linear: ${smallMs.toFixed(0)} ms for 12.5 MB, ${largeMs.toFixed(0)} ms for 50 MB`);
    assert.equal(walkMessage(large).malformed, undefined);
  });
});
