import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RECENT_ENVELOPE_MAX_BLOCK_BYTES, RecentEnvelopes } from '../../../src/mime/recent-envelopes.js';
import { envelopeCopy, type MessageEnvelope } from '../../../src/mime/envelope.js';

const envelope = (subject: string): MessageEnvelope => ({ from: ['a@example.com'], to: [], cc: [], replyTo: [], subject, headers: [{ name: 'subject', value: subject }] });

describe('RecentEnvelopes', () => {
  it('answers for the exact header bytes only', () => {
    const recent = new RecentEnvelopes(envelopeCopy);
    const key = recent.keyOf(Buffer.from('Subject: a\r\n\r\n'))!;
    recent.set(key, envelope('a'));
    assert.equal(recent.get(key)?.subject, 'a');
    assert.equal(recent.get(recent.keyOf(Buffer.from('Subject: a\n\n'))!), undefined);
    assert.equal(recent.get(recent.keyOf(Buffer.from('Subject: A\r\n\r\n'))!), undefined);
  });

  it('keeps no header block larger than its limit', () => {
    const recent = new RecentEnvelopes(envelopeCopy);
    assert.equal(recent.keyOf(Buffer.alloc(RECENT_ENVELOPE_MAX_BLOCK_BYTES + 1, 0x61)), undefined);
    assert.ok(recent.keyOf(Buffer.alloc(RECENT_ENVELOPE_MAX_BLOCK_BYTES, 0x61)) !== undefined);
  });

  it('drops the least recently used blocks beyond its byte budget', () => {
    const recent = new RecentEnvelopes(envelopeCopy, 320);
    const keys = ['a', 'b', 'c', 'd'].map((name) => recent.keyOf(Buffer.from(`Subject: ${name}${' '.repeat(90)}\r\n\r\n`))!);
    recent.set(keys[0], envelope('a'));
    recent.set(keys[1], envelope('b'));
    recent.set(keys[2], envelope('c'));
    assert.ok(recent.get(keys[0]));
    recent.set(keys[3], envelope('d'));
    assert.equal(recent.size, 3);
    assert.equal(recent.get(keys[1]), undefined, 'b was the least recently used');
    assert.deepEqual([keys[0], keys[2], keys[3]].map((key) => recent.get(key)?.subject), ['a', 'c', 'd']);
  });

  it('hands out copies', () => {
    const recent = new RecentEnvelopes(envelopeCopy);
    const key = recent.keyOf(Buffer.from('Subject: a\r\n\r\n'))!;
    const stored = { ...envelope('a'), date: new Date(1000) };
    recent.set(key, stored);
    stored.from.push('x@example.com');
    const first = recent.get(key)!;
    first.headers[0].value = 'changed';
    first.date!.setTime(0);
    assert.deepEqual(recent.get(key), { ...envelope('a'), date: new Date(1000) });
  });
});
