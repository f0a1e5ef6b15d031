// coalesceOutputs: byte outputs of one direction in a row become one; a drain with nothing to join
// (the common one of a bulk fetch: a body chunk and a wake-up request) is returned as it is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coalesceOutputs } from '../../../src/imap/output-coalescer.js';
import type { EngineOutput } from '../../../src/protocol/engine.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('coalesceOutputs', () => {
  it('returns a drain with nothing to join as it is, without a new array', () => {
    const drains: EngineOutput[][] = [
      [{ kind: 'bodyData', bodyId: 1, bytes: bytes('chunk') }, { kind: 'wakeUp', afterMs: 10 }],
      [{ kind: 'toClient', bytes: bytes('a') }, { kind: 'wakeUp', afterMs: 10 }, { kind: 'toClient', bytes: bytes('b') }],
      [{ kind: 'toClient', bytes: bytes('a') }, { kind: 'toServer', bytes: bytes('b') }, { kind: 'toClient', bytes: bytes('c') }],
    ];
    for (const outputs of drains) assert.equal(coalesceOutputs(outputs), outputs);
  });

  it('joins byte outputs of one direction in a row: adjacent views without a copy, others copied, empty ones dropped', () => {
    const line = bytes('* 1 FETCH (FLAGS ())\r\n* 2 FETCH (FLAGS ())\r\n');
    const outputs: EngineOutput[] = [
      { kind: 'toClient', bytes: line.subarray(0, 22) },
      { kind: 'toClient', bytes: line.subarray(22) },
      { kind: 'wakeUp', afterMs: 5 },
      { kind: 'toServer', bytes: bytes('a1 NOOP\r\n') },
      { kind: 'toServer', bytes: bytes('') },
      { kind: 'toServer', bytes: bytes('a2 NOOP\r\n') },
      { kind: 'toClient', bytes: bytes('') },
    ];
    const joined = coalesceOutputs(outputs);
    assert.deepEqual(
      joined.map((out) => (out.kind === 'toClient' || out.kind === 'toServer' ? `${out.kind} ${out.bytes.toString('latin1')}` : out.kind)),
      [`toClient ${line.toString('latin1')}`, 'wakeUp', 'toServer a1 NOOP\r\na2 NOOP\r\n'],
    );
    const first = joined[0] as Extract<EngineOutput, { kind: 'toClient' }>;
    assert.equal(first.bytes.buffer, line.buffer, 'a view of the same input, not a copy');
    assert.equal(coalesceOutputs([{ kind: 'toClient', bytes: bytes('') }, { kind: 'wakeUp', afterMs: 1 }]).length, 1, 'a lone empty write is dropped too');
  });
});
