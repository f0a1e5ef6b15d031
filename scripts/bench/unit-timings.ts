// The wall-clock and memory figures the unit tests used to assert, measured here instead (the tests
// now count work: steps, bytes inflated, checks, event-loop turns). Prints JSON.
// Usage: node --import tsx scripts/bench/unit-timings.ts [--pop3-huge-body]
//   --pop3-huge-body also streams a 1 GB POP3 body through a proxy in this process (about a minute)
//   and reports how far the process RSS rose.
import { randomBytes } from 'node:crypto';
import { compileGlob } from '../../src/rules/index.js';
import { defaultArchiveLimits, inspectArchive } from '../../src/scan/archive/index.js';
import { BodyDatabase } from '../../src/scan/engines/builtin/body/body-database.js';
import { parseNdbLine } from '../../src/scan/engines/builtin/body/ndb-line.js';
import { HashDatabase } from '../../src/scan/engines/builtin/hash/hash-database.js';
import { createBuiltinEngine } from '../../src/scan/engines/builtin/index.js';
import { walkMessage } from '../../src/mime/index.js';
import { writeRecursiveBomb } from '../../test/unit/scan/archive/archive-builders.js';
import { writeOverlappingZip } from '../../test/unit/scan/archive/zip-writer.js';
import { NO_INFO, removeDir, signatureDir } from '../../test/unit/scan/engines/signature-dirs.js';
import { largeMessage } from '../../test/unit/mime/large-message.js';

const MiB = 1024 * 1024;
const round = (value: number) => Math.round(value * 10) / 10;

async function timed<T>(work: () => T | Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: round(performance.now() - started) };
}

/** Largest RSS growth over `work`, sampled every 2 ms. */
async function peakRssGrowth<T>(work: () => Promise<T>): Promise<{ result: T; rssGrowthMiB: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, rssGrowthMiB: round((peak - before) / MiB) };
  } finally {
    clearInterval(sampler);
  }
}

async function builtinEventLoopGap() {
  const lines = Array.from({ length: 200 }, (_, i) => `Big.${i}:0:*:${randomBytes(6).toString('hex')}{-20}${randomBytes(4).toString('hex')}`);
  const hashes = Array.from({ length: 1000 }, (_, i) => `${randomBytes(16).toString('hex')}:${50 * MiB}:Big.Hash.${i}`);
  const dir = signatureDir({ 'big.ndb': `${lines.join('\n')}\nBig.Tail:0:EOF-8:5441494c5441494c\n`, 'big.hdb': hashes.join('\n') });
  try {
    const engine = await createBuiltinEngine({ signatureDirs: [dir] });
    const content = Buffer.alloc(50 * MiB);
    for (let i = 0; i < content.length; i += 4096) content.writeUInt32LE((i * 2654435761) >>> 0, i);
    content.write('TAILTAIL', content.length - 8, 'latin1');
    let last = performance.now();
    let maxGapMs = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
    }, 10);
    const { ms } = await timed(() => engine.scan(content, NO_INFO));
    clearInterval(timer);
    return { scan50MBMs: ms, maxEventLoopGapMs: round(maxGapMs) };
  } finally {
    removeDir(dir);
  }
}

async function hashLookups() {
  const database = new HashDatabase();
  const hash = (i: number) => i.toString(16).padStart(32, '0');
  for (let i = 0; i < 100_000; i++) database.add({ algorithm: 'md5', hash: hash(i), size: 1000 + (i % 500), name: `S${i}` });
  const { ms } = await timed(() => {
    for (let i = 0; i < 100_000; i++) database.match(1000 + (i % 500), { md5: hash(i) });
  });
  return { lookups100kMs: ms };
}

function ndb(line: string) {
  const parsed = parseNdbLine(line);
  if (!parsed.ok || !parsed.value) throw new Error(`bad signature ${line}`);
  return parsed.value;
}

async function ndbMatching() {
  const many = new BodyDatabase();
  for (let i = 0; i < 1000; i++) many.add(ndb(`S${i}:0:*:${(i * 7919).toString(16).padStart(8, '0')}c0ffee${i.toString(16).padStart(4, '0')}`));
  const plain = Buffer.alloc(4 << 20, 0x5a);
  const patterns1000Over4MBMs = (await timed(() => many.startScan(plain, 'unknown').feed(0, plain.length))).ms;
  const degenerate = new BodyDatabase();
  for (const line of ['Run:0:*:41414141{0-1000}42', 'Star:0:*:41414141*4243']) degenerate.add(ndb(line));
  const everyByte = Buffer.alloc(2 << 20, 0x41);
  everyByte[everyByte.length - 1] = 0x42;
  const anchorAtEveryByte2MBMs = (await timed(() => degenerate.startScan(everyByte, 'unknown').feed(0, everyByte.length))).ms;
  return { patterns1000Over4MBMs, anchorAtEveryByte2MBMs };
}

async function archiveBombs() {
  const inspect = (bomb: Buffer, fileName: string) => peakRssGrowth(() => timed(() => inspectArchive(bomb, { fileName, location: [] }, defaultArchiveLimits, async () => undefined)));
  const fifield = await inspect(writeOverlappingZip(400, 4 * MiB), 'bomb.zip');
  const nested = await inspect(writeRecursiveBomb(5, 16, 4 * MiB), '42.zip');
  return {
    overlappingZip: { ms: fifield.result.ms, rssGrowthMiB: fifield.rssGrowthMiB },
    recursive42Zip: { ms: nested.result.ms, rssGrowthMiB: nested.rssGrowthMiB },
  };
}

async function mimeWalk() {
  const best = async (message: Buffer) => Math.min(...(await Promise.all([0, 1, 2].map(async () => (await timed(() => walkMessage(message))).ms))));
  const small = largeMessage(12.5);
  const large = largeMessage(50);
  const smallMs = await best(small);
  const largeMs = await best(large);
  return { walk12_5MBMs: smallMs, walk50MBMs: largeMs, mbPerSecond: round(large.length / 1e6 / (largeMs / 1000)), scaling50Over12_5: round(largeMs / smallMs) };
}

async function globSteps() {
  const name = 'a'.repeat(400);
  const { result, ms } = await timed(() => compileGlob('*a*a*a*b').run(name));
  return { pattern: '*a*a*a*b', nameLength: name.length, steps: result.steps, ms };
}

async function pop3HugeBody() {
  const { startFakePop3Server, writeHugeRetr } = await import('../../test/helpers/fake-pop3-server.js');
  const { startTestProxy } = await import('../../test/helpers/proxy.js');
  const { RawClient } = await import('../../test/helpers/raw-client.js');
  const CRLF = '\r\n';
  const TOTAL = 1024 * MiB;
  const huge = await startFakePop3Server((socket) => writeHugeRetr(socket, TOTAL));
  const proxy = await startTestProxy([{ name: 'huge', upstream: `127.0.0.1:${huge.port}`, protocol: 'pop3', tls: 'none', upstreamTls: 'none' }], {
    settings: { scan: { maxMessageBytes: 32 * MiB, memoryBufferBytes: 4 * MiB } },
  });
  try {
    const { result, rssGrowthMiB } = await peakRssGrowth(async () => {
      const client = await RawClient.countingConnect(proxy.port('huge'));
      client.write(`USER a${CRLF}PASS b${CRLF}RETR 1${CRLF}`);
      const received = await client.waitForBytes(TOTAL, `${CRLF}.${CRLF}`, 300_000);
      client.close();
      return received;
    });
    return { bytesReceived: result, rssGrowthMiB };
  } finally {
    await proxy.close();
    await huge.close();
  }
}

const report: Record<string, unknown> = {
  globSteps: await globSteps(),
  builtinEventLoopGap: await builtinEventLoopGap(),
  hashLookups: await hashLookups(),
  ndbMatching: await ndbMatching(),
  archiveBombs: await archiveBombs(),
  mimeWalk: await mimeWalk(),
};
if (process.argv.includes('--pop3-huge-body')) report.pop3HugeBody = await pop3HugeBody();
console.log(JSON.stringify(report, null, 2));
