import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClamdError, parseInstreamReply } from '../../../../src/scan/engines/clamd/index.js';
import { instreamFrames, instreamSizeProbe } from '../../../../src/scan/engines/clamd/instream-frames.js';
import { Semaphore } from '../../../../src/scan/semaphore.js';

describe('clamd INSTREAM framing', () => {
  it('sends zINSTREAM\\0, length-prefixed chunks and a zero-length end', () => {
    const frames = Buffer.concat([...instreamFrames(Buffer.from('abcdefg'), 3)]);
    assert.equal(frames.toString('latin1'), 'zINSTREAM\0\0\0\0\x03abc\0\0\0\x03def\0\0\0\x01g\0\0\0\0');
  });

  it('an empty file is just the command and the end marker', () => {
    assert.equal(Buffer.concat([...instreamFrames(Buffer.alloc(0))]).toString('latin1'), 'zINSTREAM\0\0\0\0\0');
  });

  it('the size probe announces the whole length in one chunk header', () => {
    assert.equal(Buffer.concat(instreamSizeProbe(0x01020304)).toString('latin1'), 'zINSTREAM\0\x01\x02\x03\x04');
  });
});

describe('clamd INSTREAM replies', () => {
  it('clean, found, size limit', () => {
    assert.deepEqual(parseInstreamReply('stream: OK'), { kind: 'clean' });
    assert.deepEqual(parseInstreamReply('stream: Test.EICAR.Body.UNOFFICIAL FOUND'), { kind: 'found', names: ['Test.EICAR.Body.UNOFFICIAL'] });
    assert.deepEqual(parseInstreamReply('stream: Has Space.UNOFFICIAL FOUND\n'), { kind: 'found', names: ['Has Space.UNOFFICIAL'] });
    assert.deepEqual(parseInstreamReply('INSTREAM size limit exceeded. ERROR'), { kind: 'size-limit' });
  });

  it('other errors and garbage throw', () => {
    assert.throws(() => parseInstreamReply("stream: Can't allocate memory ERROR"), ClamdError);
    assert.throws(() => parseInstreamReply('COMMAND READ TIMED OUT'), /unexpected reply/);
    assert.throws(() => parseInstreamReply(''), /empty reply/);
  });
});

describe('Semaphore', () => {
  it('lets at most limit holders in, first come first served', async () => {
    const semaphore = new Semaphore(2);
    const order: number[] = [];
    const releases = await Promise.all([semaphore.acquire(), semaphore.acquire()]);
    const third = semaphore.acquire().then((release) => {
      order.push(3);
      return release;
    });
    const fourth = semaphore.acquire().then((release) => {
      order.push(4);
      return release;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(semaphore.stats, { active: 2, waiting: 2, peak: 2 });
    releases[0]();
    releases[0](); // a second call changes nothing
    (await third)();
    releases[1]();
    (await fourth)();
    assert.deepEqual(order, [3, 4]);
    assert.deepEqual(semaphore.stats, { active: 0, waiting: 0, peak: 2 });
  });
});
