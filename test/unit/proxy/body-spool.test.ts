import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { BodySpool, SpoolFailedError, spoolCounters } from '../../../src/proxy/body-spool.js';
import { ProcessMemory, type SessionMemory } from '../../../src/protocol/memory-budget.js';
import { FaultInjectingSpoolFiles } from '../../helpers/fault-injecting-spool-files.js';
import { failTestsOnEscapedErrors } from '../../helpers/escaped-errors.js';
import { waitUntil } from '../../helpers/wait-until.js';

const KiB = 1024;
const MiB = 1024 * KiB;

function session(sessionBytes = Number.POSITIVE_INFINITY, processMemory = new ProcessMemory(Number.POSITIVE_INFINITY)): SessionMemory {
  return processMemory.openSession({ sessionBytes, diskWriteWindowBytes: 4 * MiB, scansWaiting: 8 });
}

/** Appends in chunks with a turn of the event loop in between, as bodies arrive from a socket. */
async function feed(spool: BodySpool, body: Buffer, chunkBytes = 64 * KiB): Promise<void> {
  for (let offset = 0; offset < body.length; offset += chunkBytes) {
    spool.append(body.subarray(offset, offset + chunkBytes));
    await nextTurn();
  }
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

failTestsOnEscapedErrors('no error escaped the spool');

describe('BodySpool in memory', () => {
  it('keeps a small body in memory, accounted until dispose', async () => {
    const memory = session();
    const spool = new BodySpool(1 * MiB, { memory, files: new FaultInjectingSpoolFiles() });
    const body = randomBytes(300 * KiB);
    await feed(spool, body);
    await spool.finish();
    assert.equal(spool.spilled, false);
    assert.equal(spool.size, body.length);
    assert.ok(spool.inMemory()?.equals(body));
    assert.ok(Buffer.concat([...spool.memoryRange(1000, 2000)]).equals(body.subarray(1000, 2000)));
    assert.ok((await spool.readAll()).equals(body));
    assert.ok((await collect(spool.range(5, body.length - 5))).equals(body.subarray(5, body.length - 5)));
    assert.equal(memory.counters.held, body.length);
    spool.dispose();
    assert.equal(memory.counters.held, 0);
  });
});

/** What the spool copied on this thread while `work` ran. */
async function copiesDuring(work: () => Promise<void>): Promise<{ shared: number; assembled: number }> {
  const before = { shared: spoolCounters.sharedCopyBytes, assembled: spoolCounters.assembledBytes };
  await work();
  return { shared: spoolCounters.sharedCopyBytes - before.shared, assembled: spoolCounters.assembledBytes - before.assembled };
}

describe('BodySpool copies a body once, into shared memory', () => {
  it('with the announced size: readAll hands out the buffer filled on arrival (no second copy), and keeps no arriving chunk', async () => {
    const spool = new BodySpool(1 * MiB, { announcedSize: 700 * KiB + 3, files: new FaultInjectingSpoolFiles() });
    const body = randomBytes(700 * KiB + 3);
    const arriving = Buffer.from(body);
    let whole: Buffer | undefined;
    const copies = await copiesDuring(async () => {
      await feed(spool, arriving, 10_000);
      whole = await spool.readAll();
    });
    assert.deepEqual(copies, { shared: body.length, assembled: 0 });
    assert.ok(whole!.buffer instanceof SharedArrayBuffer);
    assert.equal(whole!.length, body.length);
    // The arriving buffers are not referenced: overwriting them changes nothing held.
    arriving.fill(0);
    assert.ok(whole!.equals(body));
    assert.ok(Buffer.concat([...spool.memoryRange()]).equals(body));
    assert.ok(spool.inMemory()?.equals(body));
    assert.strictEqual(await spool.readAll(), whole, 'the same buffer every time');
    spool.dispose();
  });

  it('makes no buffer view per arriving chunk, and a read in the middle of the arrival still sees every byte appended so far', () => {
    const body = randomBytes(64 * KiB + 5);
    const chunks = Array.from({ length: Math.ceil(body.length / 512) }, (_, index) => body.subarray(index * 512, (index + 1) * 512));
    for (const announcedSize of [body.length, undefined]) {
      const spool = new BodySpool(1 * MiB, { announcedSize, files: new FaultInjectingSpoolFiles() });
      const subarray = Buffer.prototype.subarray;
      let views = 0;
      Buffer.prototype.subarray = function (this: Buffer, start?: number, end?: number) {
        views++;
        return subarray.call(this, start, end);
      };
      try {
        for (const chunk of chunks.slice(0, 100)) spool.append(chunk);
      } finally {
        Buffer.prototype.subarray = subarray;
      }
      assert.ok(views <= 2, `${views} views for 100 appends (announced ${announcedSize})`);
      assert.ok(Buffer.concat([...spool.memoryRange()]).equals(body.subarray(0, 100 * 512)));
      for (const chunk of chunks.slice(100)) spool.append(chunk);
      assert.ok(Buffer.concat([...spool.memoryRange(3, body.length - 1)]).equals(body.subarray(3, body.length - 1)));
      assert.ok(spool.inMemory()?.equals(body));
      spool.dispose();
    }
  });

  it('an announced size the body does not keep to (shorter or longer) still reads back exactly', async () => {
    for (const [announced, actual] of [[500 * KiB, 300 * KiB], [100 * KiB, 333 * KiB + 1]]) {
      const spool = new BodySpool(1 * MiB, { announcedSize: announced, files: new FaultInjectingSpoolFiles() });
      const body = randomBytes(actual);
      await feed(spool, body, 7_000);
      const whole = await spool.readAll();
      assert.ok(whole.buffer instanceof SharedArrayBuffer);
      assert.ok(whole.equals(body), `announced ${announced}, sent ${actual}`);
      assert.ok(Buffer.concat([...spool.memoryRange(17, actual - 5)]).equals(body.subarray(17, actual - 5)));
      spool.dispose();
    }
  });

  it('a body far shorter than announced (POP3 "+OK n octets" is a hint) does not keep the announced shared memory', async () => {
    const spool = new BodySpool(16 * MiB, { announcedSize: 8 * MiB, files: new FaultInjectingSpoolFiles() });
    const body = randomBytes(10 * KiB);
    await feed(spool, body, 1_000);
    const whole = await spool.readAll();
    assert.ok(whole.equals(body));
    assert.equal(whole.buffer.byteLength, body.length, 'a right-sized copy, not a view of the 8 MiB segment');
    spool.dispose();
  });

  it('without an announced size: shared memory grows in segments, and readAll assembles them once', async () => {
    const spool = new BodySpool(16 * MiB, { files: new FaultInjectingSpoolFiles() });
    const body = randomBytes(5 * MiB + 11);
    let whole: Buffer | undefined;
    const copies = await copiesDuring(async () => {
      await feed(spool, body, 100 * KiB);
      whole = await spool.readAll();
    });
    assert.deepEqual(copies, { shared: body.length, assembled: body.length });
    assert.ok(whole!.equals(body));
    assert.ok(Buffer.concat([...spool.memoryRange(64 * KiB - 3, 3 * MiB)]).equals(body.subarray(64 * KiB - 3, 3 * MiB)));
    spool.dispose();
  });

  it('a body announced beyond the memory limit is not copied to shared memory: it goes to the file as it came', async () => {
    const spool = new BodySpool(256 * KiB, { announcedSize: 1 * MiB, files: new FaultInjectingSpoolFiles() });
    const body = randomBytes(1 * MiB);
    const copies = await copiesDuring(async () => {
      await feed(spool, body);
      await spool.finish();
    });
    assert.equal(copies.shared, 0);
    assert.equal(spool.spilled, true);
    assert.ok((await collect(spool.range())).equals(body));
    spool.dispose();
  });

  it('a body announced beyond the memory limit starts its file at the first byte instead of filling the memory budget first', async () => {
    const memory = session();
    const spool = new BodySpool(256 * KiB, { announcedSize: 1 * MiB, memory, files: new FaultInjectingSpoolFiles() });
    spool.append(randomBytes(16 * KiB));
    assert.equal(spool.spilled, true, 'spilling from the first chunk');
    assert.equal(memory.counters.writing, 16 * KiB, 'its bytes count as on their way to disk (the session slows its reads on those), not as kept');
    spool.dispose();
  });

  it('a body that outgrows the memory limit after being copied to shared memory spills whole, in order', async () => {
    const spool = new BodySpool(256 * KiB, { files: new FaultInjectingSpoolFiles() });
    const body = randomBytes(2 * MiB + 5);
    await feed(spool, body, 30_000);
    await spool.finish();
    assert.equal(spool.spilled, true);
    assert.ok((await collect(spool.range())).equals(body));
    assert.ok((await spool.readAll()).equals(body));
    spool.dispose();
  });
});

describe('BodySpool spilling to disk', () => {
  it('spills above its memory limit to a 0600 file in a 0700 directory, gives the memory back, and removes the file on dispose', async () => {
    const files = new FaultInjectingSpoolFiles();
    const memory = session();
    const spool = new BodySpool(256 * KiB, { memory, files });
    const body = randomBytes(3 * MiB + 17);
    await feed(spool, body, 100 * KiB);
    await spool.finish();
    assert.equal(spool.spilled, true);
    assert.equal(spool.inMemory(), undefined);
    assert.throws(() => spool.memoryRange(), /spilled/);
    const [dir] = files.dirs;
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'body')).mode & 0o777, 0o600);
    assert.equal(memory.counters.held, 0, 'everything written is no longer held');
    assert.ok((await spool.readAll()).equals(body));
    assert.ok((await collect(spool.range(123_456, 2 * MiB + 99))).equals(body.subarray(123_456, 2 * MiB + 99)));
    assert.ok((await collect(spool.range())).equals(body));
    spool.dispose();
    await waitUntil(() => files.removed.includes(dir));
    assert.equal(existsSync(dir), false);
  });

  it('spills sooner when the session budget refuses, and never holds much more than the budget', async () => {
    const memory = session(512 * KiB);
    const kept = new BodySpool(16 * MiB, { memory, files: new FaultInjectingSpoolFiles() });
    await feed(kept, randomBytes(400 * KiB));
    const files = new FaultInjectingSpoolFiles();
    const spool = new BodySpool(16 * MiB, { memory, files });
    const body = randomBytes(2 * MiB);
    await feed(spool, body);
    await spool.finish();
    assert.equal(kept.spilled, false);
    assert.equal(spool.spilled, true, 'a body far below memoryBufferBytes spilled because the budget was used up');
    assert.ok(memory.counters.refused > 0);
    // The chunk that was refused is in memory until the file is open; disk writes in flight are bounded by the window.
    assert.ok(memory.counters.peak <= 512 * KiB + 64 * KiB + memory.limits.diskWriteWindowBytes, `peak ${memory.counters.peak}`);
    assert.ok((await spool.readAll()).equals(body));
    assert.equal(memory.counters.held, 400 * KiB);
    kept.dispose();
    spool.dispose();
  });

  it('spills when the process budget is used up by another session', async () => {
    const processMemory = new ProcessMemory(1 * MiB);
    const first = new BodySpool(16 * MiB, { memory: session(Number.POSITIVE_INFINITY, processMemory), files: new FaultInjectingSpoolFiles() });
    await feed(first, randomBytes(1 * MiB));
    const second = new BodySpool(16 * MiB, { memory: session(Number.POSITIVE_INFINITY, processMemory), files: new FaultInjectingSpoolFiles() });
    await feed(second, randomBytes(100 * KiB));
    await Promise.all([first.finish(), second.finish()]);
    assert.equal(first.spilled, false);
    assert.equal(second.spilled, true);
    assert.equal(processMemory.counters.held, 1 * MiB);
    first.dispose();
    second.dispose();
    assert.equal(processMemory.counters.held, 0);
  });
});

describe('BodySpool when the disk fails (fault-injecting files)', () => {
  it('dispose while writes are pending: nothing escapes, memory is given back, the directory is removed', async () => {
    const files = new FaultInjectingSpoolFiles({ holdWrites: true });
    const memory = session();
    const spool = new BodySpool(64 * KiB, { memory, files });
    await feed(spool, randomBytes(2 * MiB));
    const finished = spool.finish();
    await waitUntil(() => files.writesStarted > 0);
    assert.ok(memory.counters.writing > 0, 'writes are pending');
    spool.dispose();
    await assert.rejects(finished, SpoolFailedError);
    files.release();
    await waitUntil(() => files.removed.length === 1);
    assert.equal(memory.counters.held, 0);
    assert.equal(memory.counters.writing, 0);
    await assert.rejects(spool.readAll(), SpoolFailedError);
  });

  it('dispose at any moment of a spill to the real disk never raises ERR_STREAM_DESTROYED', async () => {
    for (let turns = 0; turns < 6; turns++) {
      const memory = session();
      const spool = new BodySpool(64 * KiB, { memory });
      const body = randomBytes(4 * MiB);
      for (let offset = 0; offset < body.length; offset += 256 * KiB) spool.append(body.subarray(offset, offset + 256 * KiB));
      void spool.finish().catch(() => undefined);
      for (let turn = 0; turn < turns; turn++) await nextTurn();
      spool.dispose();
      spool.append(Buffer.from('after dispose'));
      assert.equal(memory.counters.held, 0);
    }
  });

  it('a full disk keeps the unwritten rest in memory (under the hard cap): the body reads back whole', async () => {
    const files = new FaultInjectingSpoolFiles({ diskBytes: 1 * MiB + 5 });
    const memory = session();
    const spool = new BodySpool(256 * KiB, { memory, files, unspillableBytes: 8 * MiB });
    const body = randomBytes(3 * MiB);
    await feed(spool, body, 50 * KiB);
    await spool.finish();
    assert.equal(spool.failed, undefined);
    assert.ok((await spool.readAll()).equals(body));
    assert.ok((await collect(spool.range(1 * MiB - 10, 1 * MiB + 10))).equals(body.subarray(1 * MiB - 10, 1 * MiB + 10)));
    assert.ok((await collect(spool.range())).equals(body));
    assert.ok(memory.counters.held <= 2 * MiB + 50 * KiB, 'only what did not reach the disk is held');
    assert.ok(memory.counters.held >= 2 * MiB - 50 * KiB);
    spool.dispose();
    assert.equal(memory.counters.held, 0);
  });

  it('a full disk and a body beyond the hard cap: the spool fails with a clear error, nothing escapes', async () => {
    const files = new FaultInjectingSpoolFiles({ diskBytes: 512 * KiB });
    const memory = session();
    const spool = new BodySpool(256 * KiB, { memory, files, unspillableBytes: 1 * MiB });
    await feed(spool, randomBytes(4 * MiB), 32 * KiB);
    await assert.rejects(spool.finish(), (error: Error) => error instanceof SpoolFailedError && /could not be spilled to disk \(ENOSPC\)/.test(error.message));
    await assert.rejects(spool.readAll(), SpoolFailedError);
    await assert.rejects(collect(spool.range()), SpoolFailedError);
    assert.equal(spool.size, 4 * MiB);
    assert.equal(memory.counters.held, 0, 'a failed body holds nothing');
    spool.dispose();
  });

  it('an unwritable temp dir keeps the body in memory up to the hard cap, and fails it beyond', async () => {
    const small = new BodySpool(64 * KiB, { memory: session(), files: new FaultInjectingSpoolFiles({ makeDirFails: 'EACCES' }), unspillableBytes: 1 * MiB });
    const fits = randomBytes(900 * KiB);
    await feed(small, fits);
    await small.finish();
    assert.equal(small.spilled, false);
    assert.ok((await small.readAll()).equals(fits));
    assert.ok(small.inMemory()?.equals(fits));

    const memory = session();
    const large = new BodySpool(64 * KiB, { memory, files: new FaultInjectingSpoolFiles({ makeDirFails: 'EACCES' }), unspillableBytes: 1 * MiB });
    await feed(large, randomBytes(2 * MiB));
    await assert.rejects(large.finish(), /EACCES/);
    assert.equal(memory.counters.held, 0);
  });

  it('a session over its budget fails a body that cannot spill instead of holding more', async () => {
    const memory = session(256 * KiB);
    const spool = new BodySpool(64 * KiB, { memory, files: new FaultInjectingSpoolFiles({ makeDirFails: 'ENOSPC' }), unspillableBytes: 16 * MiB });
    await feed(spool, randomBytes(1 * MiB), 16 * KiB);
    await assert.rejects(spool.finish(), SpoolFailedError);
    assert.ok(memory.counters.peak <= 256 * KiB + 16 * KiB * 2, `peak ${memory.counters.peak}`);
    assert.equal(memory.counters.held, 0);
  });
});

describe('BodySpool disposal', () => {
  const discarded = (error: unknown) => error instanceof SpoolFailedError && /discarded \(its session ended\)/.test(error.message);

  it('a disposed body (in memory or spilled) cannot be read: every read reports the same SpoolFailedError', async () => {
    for (const memoryLimit of [1 * MiB, 64 * KiB]) {
      const files = new FaultInjectingSpoolFiles();
      const spool = new BodySpool(memoryLimit, { memory: session(), files });
      await feed(spool, randomBytes(300 * KiB));
      await spool.finish();
      assert.equal(spool.spilled, memoryLimit < 300 * KiB);
      assert.equal(spool.failed, undefined);
      spool.dispose();
      const error = spool.failed;
      assert.ok(discarded(error), 'failed names the disposal');
      await assert.rejects(spool.finish(), (thrown) => thrown === error);
      await assert.rejects(spool.readAll(), (thrown) => thrown === error);
      await assert.rejects(spool.spilledFile(), (thrown) => thrown === error);
      await assert.rejects(collect(spool.range()), (thrown) => thrown === error);
      assert.equal(spool.inMemory(), undefined);
      if (!spool.spilled) assert.throws(() => spool.memoryRange(), (thrown) => thrown === error);
      await waitUntil(() => files.removed.length === files.dirs.length);
    }
  });

  it('whenDiscarded: a listener hears the disposal once; one that stopped listening does not; after disposal it hears at once', async () => {
    const spool = new BodySpool(1 * MiB, { memory: session() });
    spool.append(randomBytes(10 * KiB));
    await spool.finish();
    const heard: string[] = [];
    spool.whenDiscarded(() => heard.push('scan'));
    const stop = spool.whenDiscarded(() => heard.push('finished scan'));
    stop();
    spool.dispose();
    spool.dispose();
    assert.deepEqual(heard, ['scan']);
    spool.whenDiscarded(() => heard.push('late'));
    assert.deepEqual(heard, ['scan', 'late']);
  });

  it('a listener told of the disposal finds the file already on its way out and every read refused', async () => {
    const files = new FaultInjectingSpoolFiles();
    const spool = new BodySpool(64 * KiB, { memory: session(), files });
    await feed(spool, randomBytes(1 * MiB));
    const file = await spool.spilledFile();
    assert.ok(file && existsSync(file.path));
    let refused: Promise<unknown> | undefined;
    spool.whenDiscarded(() => {
      refused = spool.readAll().then(
        () => 'read',
        (error: unknown) => (discarded(error) ? 'refused' : error),
      );
    });
    spool.dispose();
    assert.equal(await refused, 'refused');
    await waitUntil(() => !existsSync(file.path));
  });
});
