import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, inflateRawSync } from 'node:zlib';
import { ArchiveFindingName, defaultArchiveLimits, inspectArchive } from '../../../../src/scan/archive/index.js';
import { writeRecursiveBomb } from './archive-builders.js';
import { countingInflate, inflateBound, MiB } from './inspect-helper.js';
import { writeOverlappingZip, writeSharedDataZip } from './zip-writer.js';

// Memory and time stay bounded because the work does: bytes inflated are counted, not RSS or
// milliseconds (scripts/bench/unit-timings.ts measures those).
async function inspectCounting(content: Buffer, fileName: string) {
  let delivered = 0;
  const run = await countingInflate(() =>
    inspectArchive(content, { fileName, location: [] }, defaultArchiveLimits, async () => {
      delivered += 1;
    }),
  );
  return { findings: run.result, inflatedBytes: run.inflatedBytes, inflateCalls: run.inflateCalls, delivered };
}

test('the overlapping-entry bomb is a real bomb: each entry on its own is valid and large', () => {
  const bomb = writeOverlappingZip(4, 1000);
  // The first entry's data runs through every later header into the shared kernel.
  const firstData = bomb.subarray(30 + 9, bomb.readUInt32LE(bomb.length - 6));
  const unpacked = inflateRawSync(firstData);
  assert.equal(unpacked.length, 3 * 39 + 1000);
  assert.equal(crc32(unpacked), bomb.readUInt32LE(14));
  assert.equal(unpacked.length, bomb.readUInt32LE(22));
});

test('a Fifield overlapping-entry zip bomb is refused before anything is inflated', async () => {
  // 400 entries of ~4 MiB each: about 1.6 GB if unpacked, from a few kilobytes.
  const bomb = writeOverlappingZip(400, 4 * MiB);
  assert.ok(bomb.length < 64 * 1024);
  const { findings, inflatedBytes, inflateCalls, delivered } = await inspectCounting(bomb, 'bomb.zip');
  assert.deepEqual(findings, [{ engine: 'archive', name: ArchiveFindingName.OverlappingEntries, kind: 'limit', location: ['bomb.zip'] }]);
  assert.equal(delivered, 0);
  assert.deepEqual({ inflatedBytes, inflateCalls }, { inflatedBytes: 0, inflateCalls: 0 }, 'nothing was inflated');
});

test('central directory entries sharing one local file are refused as overlapping', async () => {
  const bomb = writeSharedDataZip(1000, Buffer.alloc(MiB));
  const { findings, delivered } = await inspectCounting(bomb, 'shared.zip');
  assert.deepEqual(findings.map((finding) => finding.name), [ArchiveFindingName.OverlappingEntries]);
  assert.equal(delivered, 0);
});

test('a 42.zip-style recursive bomb hits a limit after bounded inflating', async () => {
  // Five levels of 16 copies: 16^5 ≈ 1M leaves of 4 MiB zeros, about 4 TiB if unpacked.
  const bomb = writeRecursiveBomb(5, 16, 4 * MiB);
  assert.ok(bomb.length < MiB);
  const { findings, inflatedBytes, inflateCalls, delivered } = await inspectCounting(bomb, '42.zip');
  const names = findings.map((finding) => finding.name);
  assert.ok(names.includes(ArchiveFindingName.RatioExceeded), names.join());
  assert.ok(
    names.includes(ArchiveFindingName.SizeExceeded) || names.includes(ArchiveFindingName.FilesExceeded),
    `a total limit stops it: ${names.join()}`,
  );
  assert.equal(delivered, 0);
  assert.ok(inflateCalls <= defaultArchiveLimits.maxFiles, `${inflateCalls} inflates`);
  assert.ok(inflatedBytes <= inflateBound(defaultArchiveLimits, inflateCalls), `${inflatedBytes} bytes inflated in ${inflateCalls} inflates`);
});

test('a recursive bomb one level deeper than maxDepth also reports the depth', async () => {
  const bomb = writeRecursiveBomb(7, 2, 1024);
  const { findings } = await inspectCounting(bomb, 'deep.zip');
  assert.deepEqual(findings.map((finding) => [finding.name, finding.location]), [
    [ArchiveFindingName.DepthExceeded, ['deep.zip', '0.zip', '0.zip', '0.zip', '0.zip', '0.zip']],
  ]);
});
