// The upstream name cache: one resolution per host while fresh, a new one after the TTL or a failed
// connection, failures never cached, and answers shaped as net.connect's lookup option expects.
import assert from 'node:assert/strict';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { describe, test } from 'node:test';
import { UpstreamLookup } from '../../../src/proxy/upstream-lookup.js';

const V4 = { address: '192.0.2.10', family: 4 };
const V6 = { address: '2001:db8::10', family: 6 };

function setup(answers: () => Promise<LookupAddress[]> = async () => [V6, V4]) {
  let now = 1_000;
  const asked: string[] = [];
  const lookup = new UpstreamLookup(
    (host) => {
      asked.push(host);
      return answers();
    },
    () => now,
    30_000,
  );
  const resolve = (host: string, options: LookupOptions = {}) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>((done) =>
      lookup.lookup(host, options, (error, address, family) => done({ error, address, family })),
    );
  return { lookup, asked, resolve, advance: (ms: number) => (now += ms) };
}

describe('upstream lookup cache', () => {
  test('a second connection within the TTL asks the resolver nothing; after it, the name is resolved again', async () => {
    const s = setup();
    assert.deepEqual(await s.resolve('mail.example', { all: true }), { error: null, address: [V6, V4], family: undefined });
    s.advance(29_999);
    assert.deepEqual(await s.resolve('mail.example', { all: true }), { error: null, address: [V6, V4], family: undefined });
    assert.deepEqual(s.asked, ['mail.example']);
    s.advance(1);
    await s.resolve('mail.example', { all: true });
    assert.deepEqual(s.asked, ['mail.example', 'mail.example']);
    assert.equal(s.lookup.resolutions, 2);
  });

  test('each host has its own entry, and concurrent connections share one resolution', async () => {
    const s = setup();
    await Promise.all([s.resolve('a.example'), s.resolve('a.example'), s.resolve('b.example')]);
    assert.deepEqual(s.asked, ['a.example', 'b.example']);
  });

  test('a failed connection makes the next one resolve the name again', async () => {
    const s = setup();
    await s.resolve('mail.example');
    s.lookup.forget('mail.example');
    await s.resolve('mail.example');
    assert.deepEqual(s.asked, ['mail.example', 'mail.example']);
  });

  test('a failed resolution is passed on and not kept', async () => {
    let fail = true;
    const s = setup(async () => {
      if (fail) throw Object.assign(new Error('getaddrinfo EAI_AGAIN mail.example'), { code: 'EAI_AGAIN' });
      return [V4];
    });
    const failed = await s.resolve('mail.example');
    assert.equal(failed.error?.code, 'EAI_AGAIN');
    fail = false;
    assert.deepEqual(await s.resolve('mail.example'), { error: null, address: V4.address, family: 4 });
    assert.equal(s.asked.length, 2);
  });

  test('one address is the first of the asked family; a family the host lacks is ENOTFOUND', async () => {
    const s = setup(async () => [V6, V4]);
    assert.deepEqual(await s.resolve('mail.example'), { error: null, address: V6.address, family: 6 });
    assert.deepEqual(await s.resolve('mail.example', { family: 4 }), { error: null, address: V4.address, family: 4 });
    assert.deepEqual(await s.resolve('mail.example', { family: 6, all: true }), { error: null, address: [V6], family: undefined });
    const v4only = setup(async () => [V4]);
    assert.equal((await v4only.resolve('mail.example', { family: 6 })).error?.code, 'ENOTFOUND');
  });
});
