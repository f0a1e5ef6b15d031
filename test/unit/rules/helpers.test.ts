import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileGlob, extensionOf, parseSize } from '../../../src/rules/index.js';
import { ipMatches, isValidIpOrCidr } from '../../../src/rules/ip.js';

describe('compileGlob', () => {
  const glob = (pattern: string, name: string, caseSensitive = false) => compileGlob(pattern, caseSensitive).test(name);
  it('supports *, ? and classes, anchored, case-insensitive', () => {
    assert.equal(glob('*.exe', 'A.EXE'), true);
    assert.equal(glob('*.exe', 'a.exe.txt'), false);
    assert.equal(glob('?.js', 'a.js'), true);
    assert.equal(glob('?.js', 'ab.js'), false);
    assert.equal(glob('file[0-9].txt', 'file7.txt'), true);
    assert.equal(glob('file[!0-9].txt', 'file7.txt'), false);
    assert.equal(glob('file[^0-9].txt', 'fileA.txt'), true);
    assert.equal(glob('*.EXE', 'a.exe', true), false);
  });
  it('treats regex characters and an unclosed bracket literally', () => {
    assert.equal(glob('a+b(1).txt', 'a+b(1).txt'), true);
    assert.equal(glob('a.b', 'axb'), false);
    assert.equal(glob('[abc', '[abc'), true);
    assert.equal(glob('*', 'line\nbreak'), true);
  });
  it('rejects an invalid class', () => {
    assert.throws(() => compileGlob('[z-a]'), SyntaxError);
  });
  it('folds case inside classes and ranges unless case-sensitive', () => {
    assert.equal(glob('[A-Z]*.TXT', 'readme.txt'), true);
    assert.equal(glob('[A-Z]*.TXT', 'readme.txt', true), false);
    assert.equal(glob('[!a-z]*', 'Readme', false), false);
    assert.equal(glob('[]x]', ']'), true, 'a ] right after [ belongs to the class');
  });
  it('takes a surrogate pair as one character', () => {
    assert.equal(glob('?.txt', '\u{1F600}.txt'), true);
  });
});

describe('parseSize', () => {
  it('reads bytes and binary units', () => {
    assert.equal(parseSize(100), 100);
    assert.equal(parseSize('100'), 100);
    assert.equal(parseSize('10MB'), 10 * 1024 * 1024);
    assert.equal(parseSize('1.5 kib'), 1536);
    assert.equal(parseSize('2G'), 2 * 1024 ** 3);
    assert.equal(parseSize('10 TB'), undefined);
    assert.equal(parseSize('-1'), undefined);
    assert.equal(parseSize(-1), undefined);
  });
});

describe('extensionOf', () => {
  it('takes the last extension in lower case', () => {
    assert.equal(extensionOf('a.TAR.GZ'), 'gz');
    assert.equal(extensionOf('README'), undefined);
    assert.equal(extensionOf('.profile'), undefined);
    assert.equal(extensionOf('trailing.'), undefined);
    assert.equal(extensionOf(undefined), undefined);
  });
});

describe('IP conditions', () => {
  it('validates addresses and CIDR blocks', () => {
    for (const good of ['10.0.0.1', '10.0.0.0/8', '::1', '2001:db8::/32', '0.0.0.0/0']) assert.equal(isValidIpOrCidr(good), true, good);
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'host', '10.0.0.0/', '::/129', '10.0.0.0/8/1', '10.0.0.0/-1']) assert.equal(isValidIpOrCidr(bad), false, bad);
  });
  it('matches', () => {
    assert.equal(ipMatches('10.1.2.3', ['10.0.0.0/8']), true);
    assert.equal(ipMatches('11.1.2.3', ['10.0.0.0/8']), false);
    assert.equal(ipMatches('2001:db8::1', ['2001:db8::/32']), true);
    assert.equal(ipMatches('not-an-ip', ['0.0.0.0/0']), false);
  });
});
