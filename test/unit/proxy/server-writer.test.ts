import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { ServerWriter } from '../../../src/proxy/server-writer.js';

class Upstream extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.lines.push(chunk.toString('latin1'));
    callback();
  }
}

/** The client side as the writer sees it: delivered once the test says so. */
function clientGate() {
  let settle: (delivered: boolean) => void = () => undefined;
  let asked = 0;
  return {
    delivered: () => {
      asked += 1;
      return new Promise<boolean>((resolve) => (settle = resolve));
    },
    settle: (value: boolean) => settle(value),
    asked: () => asked,
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('ServerWriter', () => {
  it('writes plain bytes at once; a commit and what follows it wait until the client has everything before it', async () => {
    const upstream = new Upstream();
    const gate = clientGate();
    const writer = new ServerWriter(upstream, gate.delivered, () => assert.fail('nothing is dropped'), (error) => assert.fail(String(error)));
    writer.write(Buffer.from('RETR 1\r\n'));
    writer.commit(Buffer.from('QUIT\r\n'));
    writer.write(Buffer.from('NOOP\r\n'));
    await turn();
    assert.deepEqual(upstream.lines, ['RETR 1\r\n']);
    assert.equal(gate.asked(), 1);
    gate.settle(true);
    await turn();
    assert.deepEqual(upstream.lines, ['RETR 1\r\n', 'QUIT\r\n', 'NOOP\r\n']);
    writer.write(Buffer.from('later\r\n'));
    assert.deepEqual(upstream.lines.at(-1), 'later\r\n', 'once the queue is empty, bytes go straight out again');
  });

  it('drops the commit and everything behind it when the client is gone', async () => {
    const upstream = new Upstream();
    const gate = clientGate();
    const dropped: number[] = [];
    const writer = new ServerWriter(upstream, gate.delivered, (bytes) => dropped.push(bytes), (error) => assert.fail(String(error)));
    writer.commit(Buffer.from('x1 EXPUNGE\r\n'));
    writer.write(Buffer.from('x2 LOGOUT\r\n'));
    gate.settle(false);
    await turn();
    writer.write(Buffer.from('x3 NOOP\r\n'));
    assert.deepEqual(upstream.lines, []);
    assert.deepEqual(dropped, ['x1 EXPUNGE\r\n'.length + 'x2 LOGOUT\r\n'.length]);
  });

  it('writes nothing more once stopped, even a commit whose client delivery then succeeds', async () => {
    const upstream = new Upstream();
    const gate = clientGate();
    const writer = new ServerWriter(upstream, gate.delivered, () => undefined, (error) => assert.fail(String(error)));
    writer.commit(Buffer.from('QUIT\r\n'));
    writer.stop();
    gate.settle(true);
    await turn();
    writer.write(Buffer.from('NOOP\r\n'));
    assert.deepEqual(upstream.lines, []);
  });
});
