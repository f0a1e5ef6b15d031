import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CaError } from '../../../src/ca/ca-error.js';
import { leafFileName, parseServerName } from '../../../src/ca/server-name.js';

describe('parseServerName', () => {
  it('accepts DNS names, lowercased and without a trailing dot', () => {
    assert.deepEqual(parseServerName('localhost'), { kind: 'dns', value: 'localhost' });
    assert.deepEqual(parseServerName('IMAP.Example.COM.'), { kind: 'dns', value: 'imap.example.com' });
    assert.deepEqual(parseServerName('xn--bcher-kva.example'), { kind: 'dns', value: 'xn--bcher-kva.example' });
    assert.deepEqual(parseServerName('123.example.com'), { kind: 'dns', value: '123.example.com' });
  });

  it('accepts IPv4 and canonical IPv6 addresses', () => {
    assert.deepEqual(parseServerName('127.0.0.1'), { kind: 'ip', value: '127.0.0.1', family: 4 });
    assert.deepEqual(parseServerName('::1'), { kind: 'ip', value: '::1', family: 6 });
    assert.deepEqual(parseServerName('0:0:0:0:0:0:0:1'), { kind: 'ip', value: '::1', family: 6 });
    assert.deepEqual(parseServerName('FE80::1%eth0'), { kind: 'ip', value: 'fe80::1', family: 6 });
  });

  it('turns IPv4-mapped IPv6 addresses into IPv4', () => {
    assert.deepEqual(parseServerName('::ffff:127.0.0.1'), { kind: 'ip', value: '127.0.0.1', family: 4 });
    assert.deepEqual(parseServerName('::ffff:c0a8:101'), { kind: 'ip', value: '192.168.1.1', family: 4 });
  });

  it('rejects everything else', () => {
    const bad = [
      '',
      '.',
      '..',
      '../etc',
      'a/b',
      'a\\b',
      'x'.repeat(300),
      `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}`,
      `${'a'.repeat(64)}.example`,
      '*.example.com',
      'a..b',
      '-leading.example',
      'trailing-.example',
      'under_score.example',
      'white space',
      'bücher.example',
      '1.2.3.999',
      '127.1',
      '::1::2',
      'localhost\0',
    ];
    for (const name of bad) {
      assert.throws(() => parseServerName(name), CaError, `expected ${JSON.stringify(name)} to be rejected`);
    }
  });

  it('accepts the longest legal name', () => {
    const longest = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    assert.equal(longest.length, 253);
    assert.equal(parseServerName(longest).value, longest);
  });
});

describe('leafFileName', () => {
  it('prefixes the kind and replaces IPv6 colons', () => {
    assert.equal(leafFileName(parseServerName('localhost')), 'dns_localhost.pem');
    assert.equal(leafFileName(parseServerName('con')), 'dns_con.pem');
    assert.equal(leafFileName(parseServerName('10.0.0.1')), 'ip4_10.0.0.1.pem');
    assert.equal(leafFileName(parseServerName('2001:db8::1')), 'ip6_2001-db8--1.pem');
  });

  it('keeps long names under the file name limit and distinct', () => {
    const prefix = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.`;
    const one = leafFileName(parseServerName(`${prefix}one`));
    const two = leafFileName(parseServerName(`${prefix}two`));
    assert.ok(one.length <= 255, one);
    assert.notEqual(one, two);
    assert.match(one, /^dns_[a-z0-9._-]+\.pem$/);
  });
});
