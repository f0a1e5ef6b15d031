import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HashDatabase } from '../../../../src/scan/engines/builtin/hash/hash-database.js';
import { parseHashLine, type HashSignature } from '../../../../src/scan/engines/builtin/hash/hash-line.js';

const MD5 = '44d88612fea8a8f36de82e1278abb02f';
const SHA1 = '3395856ce81f2b7382dee72602f798b642f14140';
const SHA256 = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';

function parsed(line: string): HashSignature | null {
  const result = parseHashLine(line);
  assert.ok(result.ok, `expected '${line}' to parse: ${result.ok ? '' : result.message}`);
  return result.value;
}

function rejected(line: string): string {
  const result = parseHashLine(line);
  assert.ok(!result.ok, `expected '${line}' to be rejected`);
  assert.equal(result.kind, 'malformed');
  return result.message;
}

describe('hash signature lines (.hdb / .hsb)', () => {
  it('tells MD5, SHA1 and SHA256 apart by length, and lower-cases the hash', () => {
    assert.deepEqual(parsed(`${MD5.toUpperCase()}:68:Test.MD5`), { algorithm: 'md5', hash: MD5, size: 68, name: 'Test.MD5' });
    assert.equal(parsed(`${SHA1}:68:Test.SHA1`)?.algorithm, 'sha1');
    assert.equal(parsed(`${SHA256}:68:Test.SHA256`)?.algorithm, 'sha256');
  });

  it("accepts '*' as size only with MinFL >= 73", () => {
    assert.equal(parsed(`${SHA256}:*:Any.Size:73`)?.size, '*');
    assert.match(rejected(`${SHA256}:*:Any.Size`), /MinFL/);
    assert.match(rejected(`${SHA256}:*:Any.Size:72`), /MinFL/);
  });

  it('skips (null) signatures whose functionality level excludes the engine', () => {
    assert.equal(parsed(`${MD5}:68:Future:999`), null);
    assert.equal(parsed(`${MD5}:68:Past:1:2`), null);
    assert.notEqual(parsed(`${MD5}:68:Now:1:999`), null);
  });

  it('keeps spaces in names', () => {
    assert.equal(parsed(`${MD5}:68:Has Space`)?.name, 'Has Space');
  });

  it('rejects malformed lines with a reason', () => {
    assert.match(rejected(`${MD5}:68`), /field/);
    assert.match(rejected(`${MD5}:68:A:1:2:3`), /field/);
    assert.match(rejected(`${MD5.slice(1)}:68:A`), /hex digits/);
    assert.match(rejected(`zz${MD5.slice(2)}:68:A`), /hex digits/);
    assert.match(rejected(`${MD5}:0:A`), /size/);
    assert.match(rejected(`${MD5}:6x8:A`), /size/);
    assert.match(rejected(`${MD5}:-5:A`), /size/);
    assert.match(rejected(`${MD5}:68:`), /name/);
    assert.match(rejected(`${MD5}:68:A:x`), /level/);
  });
});

describe('HashDatabase', () => {
  const database = new HashDatabase();
  database.add({ algorithm: 'md5', hash: MD5, size: 68, name: 'Exact' });
  database.add({ algorithm: 'md5', hash: MD5, size: 68, name: 'Second' });
  database.add({ algorithm: 'sha256', hash: SHA256, size: '*', name: 'AnySize' });

  it('looks up by size and hash, and by hash alone for any-size signatures', () => {
    assert.deepEqual(database.match(68, { md5: MD5, sha256: SHA256 }), ['Exact', 'Second', 'AnySize']);
    assert.deepEqual(database.match(69, { md5: MD5, sha256: SHA256 }), ['AnySize']);
    assert.deepEqual(database.match(68, { md5: '0'.repeat(32) }), []);
  });

  it('only asks for the algorithms a file of that size could match', () => {
    assert.deepEqual(database.algorithmsFor(68), ['md5', 'sha256']);
    assert.deepEqual(database.algorithmsFor(1000), ['sha256']);
    const md5Only = new HashDatabase();
    md5Only.add({ algorithm: 'md5', hash: MD5, size: 68, name: 'Exact' });
    assert.deepEqual(md5Only.algorithmsFor(1000), []);
  });

  it('with 100,000 signatures each lookup finds exactly its own (the lookup time is in scripts/bench/unit-timings.ts)', () => {
    const big = new HashDatabase();
    const hash = (i: number) => i.toString(16).padStart(32, '0');
    for (let i = 0; i < 100_000; i++) big.add({ algorithm: 'md5', hash: hash(i), size: 1000 + (i % 500), name: `S${i}` });
    assert.equal(big.size, 100_000);
    for (let i = 0; i < 100_000; i++) {
      const found = big.match(1000 + (i % 500), { md5: hash(i) });
      if (found.length !== 1 || found[0] !== `S${i}`) assert.fail(`S${i}: ${found.join(',')}`);
    }
    assert.deepEqual(big.match(1000 + ((777 + 1) % 500), { md5: hash(777) }), [], 'the size is part of the key');
    assert.deepEqual(big.algorithmsFor(999), [], 'no signature of that size: nothing to hash');
  });
});
