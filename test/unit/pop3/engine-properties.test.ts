import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DotStuffer } from '../../../src/pop3/dot-stuffing.js';
import { Harness, MARKER, cleanScanner, randomSplits, sameLengthScanner, type Splitter } from './harness.js';

const line = fc.oneof(
  fc.constantFrom('', '.', '..', '.x', '..x', ' .', MARKER, `.${MARKER}`, 'a\rb', '\r'),
  fc.string({ unit: fc.constantFrom('a', '.', ' ', '\r', 'é'), maxLength: 20 }),
);
const message = fc.array(line, { maxLength: 15 }).map((lines) => lines.map((text) => `${text}\r\n`).join(''));

function retr(content: string): string {
  const stuffer = new DotStuffer();
  const bytes = Buffer.from(content, 'latin1');
  return `+OK\r\n${Buffer.concat([stuffer.push(bytes), stuffer.end()]).toString('latin1')}.\r\n`;
}

function session(messages: string[], split: Splitter, scanner = cleanScanner): Harness {
  const commands = messages.map((_, index) => (index % 3 === 2 ? `TOP ${index + 1} 9\r\n` : `RETR ${index + 1}\r\n`)).join('');
  return new Harness({ scanner })
    .server('+OK ready\r\n', split)
    .client(`${commands}NOOP\r\n`, split)
    .server(messages.map(retr).join('') + '+OK\r\n', split);
}

describe('engine properties', () => {
  it('delivers any pipelined bodies unchanged and extracts them exactly, in any chunking', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 1 << 30 }), fc.integer({ min: 1, max: 40 }), (messages, seed, maxChunk) => {
        const harness = session(messages, randomSplits(seed, maxChunk));
        assert.equal(harness.clientText, '+OK ready\r\n' + messages.map(retr).join('') + '+OK\r\n');
        assert.deepEqual([...harness.bodies.values()].map((body) => Buffer.concat(body.chunks).toString('latin1')), messages);
      }),
      { numRuns: 500 },
    );
  });

  it('applies a same-length replacement exactly where the marker was', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 1 << 30 }), (messages, seed) => {
        const harness = session(messages, randomSplits(seed, 7), sameLengthScanner);
        const expected = '+OK ready\r\n' + messages.map(retr).join('') + '+OK\r\n';
        assert.equal(harness.clientText, expected.replaceAll(MARKER, 'X'.repeat(MARKER.length)));
      }),
      { numRuns: 300 },
    );
  });

  it('streams bodies over any maxScanBytes unchanged, wherever the switch falls', () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 4 }),
        fc.nat({ max: 120 }),
        fc.integer({ min: 1, max: 1 << 30 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        (messages, maxScanBytes, seed, maxChunk, manualScan) => {
          const split = randomSplits(seed, maxChunk);
          const commands = messages.map((_, index) => `RETR ${index + 1}\r\n`).join('');
          const harness = new Harness({ engine: { maxScanBytes }, manualScan, scanner: cleanScanner })
            .server('+OK ready\r\n', split)
            .client(commands, split)
            .server(messages.map(retr).join(''), split);
          // With manual scans, the small bodies stay held until answered, with the large ones behind them.
          for (const body of harness.bodies.values()) if (body.ended && !body.released) harness.scan(body.bodyId);
          assert.equal(harness.clientText, '+OK ready\r\n' + messages.map(retr).join(''));
          const tooLarge = messages.filter((content) => Buffer.byteLength(content, 'latin1') > maxScanBytes).length;
          assert.equal(harness.eventsOf('body-unscanned').length, tooLarge);
          assert.ok([...harness.bodies.values()].every((body) => body.released));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
