import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batches } from '../../../src/mailbox/folder-scan.js';
import { parseAction, parseConcurrency, parseLargerThan, parseSince } from '../../../src/mailbox/scan-options.js';
import { exitCodeOf, emptyFolderSummary } from '../../../src/mailbox/scan-report.js';
import { UserError } from '../../../src/user-error.js';

describe('mailbox scan options', () => {
  it('parses --since as a calendar day and refuses anything else', () => {
    assert.equal(parseSince('2024-01-01').toISOString(), '2024-01-01T00:00:00.000Z');
    assert.equal(parseSince('2024-02-29').toISOString(), '2024-02-29T00:00:00.000Z');
    for (const bad of ['2023-02-29', '2024-13-01', '01/02/2024', 'yesterday', '2024-1-1']) assert.throws(() => parseSince(bad), UserError, bad);
  });

  it('parses --larger-than with binary units', () => {
    assert.equal(parseLargerThan('100k'), 102_400);
    assert.equal(parseLargerThan('2M'), 2 * 1024 * 1024);
    assert.equal(parseLargerThan('5000'), 5000);
    assert.throws(() => parseLargerThan('big'), /--larger-than "big"/);
  });

  it('knows the actions and bounds --concurrency', () => {
    assert.equal(parseAction('strip'), 'strip');
    assert.throws(() => parseAction('nuke'), /use one of log, strip, move, delete/);
    assert.equal(parseConcurrency('4'), 4);
    for (const bad of ['0', '-1', '1.5', '65', 'x']) assert.throws(() => parseConcurrency(bad), UserError, bad);
  });
});

describe('body batches', () => {
  const sizes = new Map([
    [1, 3_000],
    [2, 3_000],
    [3, 3_000],
    [4, 20_000],
    [5, 1_000],
    [6, 1_000],
  ]);

  it('cuts runs of UIDs at the byte budget; a larger message goes alone', () => {
    assert.deepEqual([...batches([1, 2, 3, 4, 5, 6], sizes, 7_000, 100)], [[1, 2], [3], [4], [5, 6]]);
  });

  it('cuts at the message count too', () => {
    assert.deepEqual([...batches([1, 2, 3, 5, 6], sizes, 1_000_000, 2)], [[1, 2], [3, 5], [6]]);
    assert.deepEqual([...batches([], sizes)], []);
  });
});

describe('exit status', () => {
  const folder = (changes: Partial<ReturnType<typeof emptyFolderSummary>>) => ({ ...emptyFolderSummary('INBOX'), ...changes });

  it('is 0 clean, 1 with threats (even with errors), 2 with errors only, 130 when interrupted', () => {
    assert.equal(exitCodeOf([folder({ scanned: 5 })], false), 0);
    assert.equal(exitCodeOf([folder({ threats: 1, errors: 2 })], false), 1);
    assert.equal(exitCodeOf([folder({ errors: 1 })], false), 2);
    assert.equal(exitCodeOf([folder({ error: 'connection lost' })], false), 2);
    assert.equal(exitCodeOf([folder({ threats: 1 })], true), 130);
  });
});
