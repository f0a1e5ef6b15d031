import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EICAR_STRING, isEicarTestFile } from '../../../../src/scan/engines/builtin/eicar.js';

const eicar = (suffix = '', prefix = ''): Buffer => Buffer.from(`${prefix}${EICAR_STRING}${suffix}`, 'latin1');

describe('EICAR test file (per its specification)', () => {
  it('is exactly the 68-byte string', () => {
    assert.equal(EICAR_STRING.length, 68);
    assert.equal(isEicarTestFile(eicar()), true);
  });

  it('may be followed by space, tab, CR, LF and Ctrl-Z', () => {
    for (const suffix of [' ', '\t', '\r\n', '\n', '\x1a', ' \t\r\n\x1a  ']) assert.equal(isEicarTestFile(eicar(suffix)), true, JSON.stringify(suffix));
  });

  it('allows 128 bytes in total, not 129', () => {
    assert.equal(isEicarTestFile(eicar(' '.repeat(60))), true);
    assert.equal(isEicarTestFile(eicar(' '.repeat(61))), false);
  });

  it('rejects other trailing characters', () => {
    for (const suffix of ['x', '\0', '\x0b', '\x0c', ' x', '\r\n.']) assert.equal(isEicarTestFile(eicar(suffix)), false, JSON.stringify(suffix));
  });

  it('must start the file', () => {
    assert.equal(isEicarTestFile(eicar('', ' ')), false);
    assert.equal(isEicarTestFile(eicar('', '\n')), false);
    assert.equal(isEicarTestFile(eicar('', 'a')), false);
  });

  it('rejects the string with any one byte changed, or cut short', () => {
    const original = eicar();
    for (let i = 0; i < original.length; i++) {
      const changed = Buffer.from(original);
      changed[i] ^= 0x20;
      assert.equal(isEicarTestFile(changed), false, `byte ${i}`);
    }
    assert.equal(isEicarTestFile(original.subarray(0, 67)), false);
    assert.equal(isEicarTestFile(Buffer.alloc(0)), false);
  });
});
