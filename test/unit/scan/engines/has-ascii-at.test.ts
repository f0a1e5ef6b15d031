// hasAsciiAt compares a text's latin1 bytes in place: the same answers as comparing against the bytes
// Buffer.from(text, 'latin1') gives (what it did before), at every offset, in bounds or not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasAsciiAt, hasBytesAt } from '../../../../src/scan/engines/builtin/file-type/bytes.js';

describe('hasAsciiAt', () => {
  it('answers as a comparison with the latin1 bytes of the text, at every offset', () => {
    const content = Buffer.from('PK\x03\x04{\\rtf GIF89a ustar CD001 \xe9t\xe9 PK', 'latin1');
    const texts = ['PK\x03\x04', '{\\rtf', 'GIF89a', 'ustar', 'CD001', '\xe9t\xe9', 'PK', '', 'K', 'PK\x05\x06', '\u0150K'];
    let matches = 0;
    for (const text of texts) {
      for (let offset = -3; offset <= content.length + 2; offset++) {
        const expected = hasBytesAt(content, offset, [...Buffer.from(text, 'latin1')]);
        assert.equal(hasAsciiAt(content, offset, text), expected, `${JSON.stringify(text)} at ${offset}`);
        if (expected) matches++;
      }
    }
    // Not a comparison that never matches: each text found where it stands (and '' everywhere in bounds).
    assert.ok(matches > content.length, `${matches} matches`);
  });
});
