import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createBuiltinEngine, EICAR_STRING, formatWarning, shippedSignatureDir, type BuiltinEngine } from '../../../../src/scan/engines/builtin/index.js';
import { SLICE_BYTES } from '../../../../src/scan/engines/builtin/slices.js';
import { sha256Of } from '../../../../src/scan/analysis/known-parts.js';
import { knownDigest, rememberDigest } from '../../../../src/scan/content-digest.js';
import { minimalPe } from './samples.js';
import { NO_INFO, removeDir, signatureDir } from './signature-dirs.js';

const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');
const sha1 = (data: Buffer): string => createHash('sha1').update(data).digest('hex');
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const EICAR = Buffer.from(EICAR_STRING, 'latin1');

async function names(engine: BuiltinEngine, content: Buffer, info = NO_INFO): Promise<string[]> {
  return (await engine.scan(content, { ...info })).map((f) => f.name);
}

describe('builtin engine: shipped signatures', () => {
  let engine: BuiltinEngine;
  before(async () => {
    engine = await createBuiltinEngine({ signatureDirs: [] });
  });

  it('finds src/scan/signatures and loads its three files', () => {
    assert.match(shippedSignatureDir(), /src[\\/]scan[\\/]signatures$/);
    assert.deepEqual(readdirSync(shippedSignatureDir()).filter((f) => /\.(hdb|hsb|ndb)$/.test(f)).sort(), ['test.hdb', 'test.hsb', 'test.ndb']);
    assert.deepEqual(engine.signatureCount, { hdb: 2, hsb: 1, ndb: 1 });
    assert.deepEqual(engine.warnings, []);
  });

  it('reports EICAR under its own name and every matching test signature, as clamd names them', async () => {
    assert.deepEqual(await names(engine, EICAR), [
      'Eicar-Test-Signature',
      'Test.EICAR.MD5.UNOFFICIAL',
      'Test.EICAR.SHA256.UNOFFICIAL',
      'Test.EICAR.Body.UNOFFICIAL',
    ]);
  });

  it('finds the EICAR body inside a larger file, but not the EICAR test file itself', async () => {
    const padded = Buffer.concat([randomBytes(1000), EICAR, randomBytes(1000)]);
    assert.deepEqual(await names(engine, padded), ['Test.EICAR.Body.UNOFFICIAL']);
  });

  it('returns findings with engine, kind and location', async () => {
    const findings = await engine.scan(EICAR, { fileName: 'eicar.com', location: [], insideArchive: false });
    assert.deepEqual(findings[0], { engine: 'builtin', name: 'Eicar-Test-Signature', kind: 'signature', location: ['eicar.com'] });
    const inArchive = await engine.scan(EICAR, { fileName: 'eicar.com', location: ['a.zip', 'x/eicar.com'], insideArchive: true });
    assert.deepEqual(inArchive[0].location, ['a.zip', 'x/eicar.com']);
  });

  it('clean content has no findings', async () => {
    assert.deepEqual(await names(engine, randomBytes(10_000)), []);
    assert.deepEqual(await names(engine, Buffer.alloc(0)), []);
  });

  it('adds heuristic findings and exposes the file facts', async () => {
    const pe = minimalPe();
    const info = { fileName: 'invoice.pdf.exe', declaredType: 'application/pdf', location: [], insideArchive: false };
    const findings = await engine.scan(pe, info);
    assert.deepEqual(
      findings.map((f) => [f.name, f.kind]),
      [
        ['Heuristic.DoubleExtension', 'heuristic'],
        ['Heuristic.TypeMismatch', 'heuristic'],
      ],
    );
    assert.deepEqual(engine.facts(pe, info), { detectedType: 'pe' });
  });
});

describe('builtin engine: user signature directories', () => {
  const content = randomBytes(5000);
  let dir: string;
  let engine: BuiltinEngine;
  before(async () => {
    dir = signatureDir({
      'user.hdb': [
        '# comment',
        '',
        `${md5(content)}:${content.length}:User.MD5`,
        `${sha1(content)}:${content.length}:User.SHA1.In.Hdb`,
        `${md5(content)}:${content.length + 1}:User.WrongSize`,
        'not a signature',
        `${md5(content)}:*:User.AnySize`,
        `${md5(content)}:${content.length}:User.Future:999`,
      ].join('\r\n'),
      'user.hsb': `${sha256(content)}:*:User.SHA256.AnySize:73\n${sha1(content)}:${content.length}:User.SHA1\n`,
      'user.ndb': `User.Body:0:1000:${content.subarray(1000, 1020).toString('hex')}\nBroken:0:*:4142{x}\nUser.Unsupported:1:EP+0:41424344\n`,
      'user.ldb': 'Logical;Target:0;0;41424344\n',
      'notes.txt': 'ignored',
    });
    engine = await createBuiltinEngine({ signatureDirs: [dir], includeShippedSignatures: false });
  });
  after(() => removeDir(dir));

  it('loads each file type, counting signatures per file type', () => {
    assert.deepEqual(engine.signatureCount, { hdb: 3, hsb: 2, ndb: 1 });
    assert.equal(engine.skippedByFlevel, 1);
  });

  it('keeps going past bad lines and says where they are', () => {
    const warnings = engine.warnings.map(formatWarning);
    assert.equal(warnings.length, 5, warnings.join('\n'));
    assert.match(warnings[0], /user\.hdb:6: malformed signature: expected/);
    assert.match(warnings[1], /user\.hdb:7: malformed signature: size '\*' needs a MinFL/);
    assert.match(warnings[2], /user\.ldb: unsupported: \.ldb databases are not supported/);
    assert.match(warnings[3], /user\.ndb:2: malformed signature: '\{x\}'/);
    assert.match(warnings[4], /user\.ndb:3: unsupported: offset 'EP\+0'/);
  });

  it('matches by MD5, SHA1 and SHA256 (sized and any size) and by body', async () => {
    assert.deepEqual(await names(engine, content), [
      'User.MD5.UNOFFICIAL',
      'User.SHA1.In.Hdb.UNOFFICIAL',
      'User.SHA1.UNOFFICIAL',
      'User.SHA256.AnySize.UNOFFICIAL',
      'User.Body.UNOFFICIAL',
    ]);
  });

  it('a one-byte change defeats the hashes; the body signature still sees its bytes', async () => {
    const changed = Buffer.from(content);
    changed[4999] ^= 1;
    assert.deepEqual(await names(engine, changed), ['User.Body.UNOFFICIAL']);
  });

  it('a missing directory is a one-line user error that names it and the setting', async () => {
    await assert.rejects(createBuiltinEngine({ signatureDirs: ['/nonexistent/sigs'] }), { name: 'UserError', message: 'scan.signatureDirs: /nonexistent/sigs does not exist or is not a directory' });
  });

  it('hashes each file once per algorithm: a SHA-256 already computed for the bytes is taken, not computed again', async () => {
    const other = randomBytes(5000);
    // Stands for the verdict store's lookup having hashed these bytes: the engine must use it as it is.
    rememberDigest(other, 'sha256', sha256(content));
    assert.deepEqual(await names(engine, other), ['User.SHA256.AnySize.UNOFFICIAL']);
  });

  it('remembers the digests it computed for the next one who asks (the verdict store lookup)', async () => {
    const copy = Buffer.from(content);
    assert.equal(knownDigest(copy, 'sha256'), undefined);
    await names(engine, copy);
    assert.equal(knownDigest(copy, 'sha256'), sha256(content));
    assert.equal(knownDigest(copy, 'md5'), md5(content));
    rememberDigest(copy, 'sha256', 'f'.repeat(64));
    assert.equal(sha256Of(copy), 'f'.repeat(64), 'known-parts takes the remembered digest');
  });
});

describe('builtin engine: large files', () => {
  let dir: string;
  let engine: BuiltinEngine;
  before(async () => {
    const lines: string[] = [];
    for (let i = 0; i < 200; i++) lines.push(`Big.${i}:0:*:${randomBytes(6).toString('hex')}{-20}${randomBytes(4).toString('hex')}`);
    const hashes: string[] = [];
    for (let i = 0; i < 1000; i++) hashes.push(`${randomBytes(16).toString('hex')}:${50 * 1024 * 1024}:Big.Hash.${i}`);
    dir = signatureDir({ 'big.ndb': `${lines.join('\n')}\nBig.Tail:0:EOF-8:5441494c5441494c\n`, 'big.hdb': hashes.join('\n') });
    engine = await createBuiltinEngine({ signatureDirs: [dir] });
  });
  after(() => removeDir(dir));

  it('scanning 50 MB gives the event loop turns between its 1 MiB slices', async () => {
    const content = Buffer.alloc(50 * 1024 * 1024);
    for (let i = 0; i < content.length; i += 4096) content.writeUInt32LE((i * 2654435761) >>> 0, i);
    content.write('TAILTAIL', content.length - 8, 'latin1');
    // Other work waiting for a turn: counts the turns it gets while the scan runs (the gap in
    // milliseconds is measured by scripts/bench/unit-timings.ts, not asserted here).
    let turns = 0;
    let scanning = true;
    const otherWork = (): void => {
      turns++;
      if (scanning) setImmediate(otherWork);
    };
    setImmediate(otherWork);
    const found = await names(engine, content);
    scanning = false;
    assert.deepEqual(found, ['Big.Tail.UNOFFICIAL']);
    assert.ok(turns >= 2, `the event loop had ${turns} turns during a scan of ${content.length / SLICE_BYTES} slices`);
  });
});
