// CPU cost of a large part scanned as it is decoded against decoded whole, in one run, rounds
// alternating: the transfer decoders alone (decodeBody vs the streaming decoders over 64 KiB encoded
// slices) for base64 and quoted-printable, and inspectMessage with the builtin engine (shipped
// signatures) on a message with one large base64 attachment, streamed (threshold 0) vs whole
// (threshold infinity), with the shipped signatures and with 1,000 generated .ndb signatures in the mix
// of scan-engines.ts (a tenth with a '*' gap, which a streamed part leaves to a whole-file evaluation
// should their anchor occur). Prints JSON: best CPU milliseconds, MB/s of encoded input, ratios, and
// how often a streamed part was decoded whole after all.
// Usage: node --expose-gc --import tsx scripts/bench/streamed-part-cost.ts [--mib 32] [--rounds 5]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBody } from '../../src/mime/decode/body.js';
import { decodedSlices, streamDecoder } from '../../src/mime/decode/decoded-slices.js';
import { bufferSource } from '../../src/mime/byte-source.js';
import { defaultArchiveLimits } from '../../src/scan/archive/index.js';
import { shapeOf } from '../../src/scan/body-shape.js';
import { createBuiltinEngine } from '../../src/scan/engines/builtin/index.js';
import { inspectMessage } from '../../src/scan/inspect-message.js';
import type { StreamedPart } from '../../src/scan/inspect-streamed-part.js';
import { bigMessage, randomBytesFromSeed } from '../../test/helpers/messages.js';
import { machine } from './machine.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const mib = Number(argument('--mib', '32'));
const rounds = Number(argument('--rounds', '5'));
const MiB = 1024 * 1024;

function base64Body(data: Buffer): Buffer {
  const encoded = data.toString('base64');
  const lines: string[] = [];
  for (let at = 0; at < encoded.length; at += 76) lines.push(encoded.slice(at, at + 76));
  return Buffer.from(lines.join('\r\n') + '\r\n', 'latin1');
}

function quotedPrintableBody(size: number): Buffer {
  const random = randomBytesFromSeed(size, 3);
  let out = '';
  let line = 0;
  for (const byte of random) {
    const printable = 0x20 + (byte % 95);
    const piece = byte < 16 ? `=${byte.toString(16).toUpperCase().padStart(2, '0')}` : printable === 0x3d ? '=3D' : String.fromCharCode(printable);
    if (line + piece.length > 75) {
      out += '=\r\n';
      line = 0;
    }
    out += piece;
    line += piece.length;
  }
  return Buffer.from(out + '\r\n', 'latin1');
}

/** With --expose-gc, garbage of the previous run is collected before the next one is timed. */
const collect = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function cpuMs(work: () => unknown): number {
  collect();
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

async function cpuMsAsync(work: () => Promise<unknown>): Promise<number> {
  collect();
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function drain(body: Buffer, encoding: string): number {
  let total = 0;
  for (const slice of decodedSlices(bufferSource(body), { start: 0, end: body.length }, streamDecoder(encoding)!)) total += slice.length;
  return total;
}

const bodies = { base64: base64Body(randomBytesFromSeed(mib * MiB, 1)), 'quoted-printable': quotedPrintableBody((mib * MiB) / 4) };
const decoders: Record<string, { whole: number[]; streamed: number[]; encodedMiB: number }> = {};
for (const [encoding, body] of Object.entries(bodies)) {
  if (decodeBody(body, encoding).length !== drain(body, encoding)) throw new Error(`${encoding}: streamed size differs`);
  const entry = (decoders[encoding] = { whole: [] as number[], streamed: [] as number[], encodedMiB: body.length / MiB });
  for (let round = 0; round < rounds; round++) {
    entry.whole.push(cpuMs(() => decodeBody(body, encoding)));
    entry.streamed.push(cpuMs(() => drain(body, encoding)));
  }
}

/** The signature mix of scan-engines.ts: plain, '??', '*', '{10-50}', alternatives. */
function generatedSignatures(count: number): string {
  const lines: string[] = [];
  for (let index = 0; index < count; index++) {
    const [a, b] = [randomBytes(8).toString('hex'), randomBytes(8).toString('hex')];
    const kind = index % 10;
    if (kind < 5) lines.push(`Bench.${index}:0:*:${a}${b}`);
    else if (kind < 7) lines.push(`Bench.${index}:0:*:${a}??${b.slice(0, 12)}`);
    else if (kind === 7) lines.push(`Bench.${index}:0:*:${a}*${b}`);
    else if (kind === 8) lines.push(`Bench.${index}:0:*:${a}{10-50}${b}`);
    else lines.push(`Bench.${index}:0:*:${a.slice(0, 12)}(${b.slice(0, 2)}|${b.slice(2, 4)})${b.slice(4, 16)}`);
  }
  return lines.join('\n') + '\n';
}

const signatureDir = mkdtempSync(join(tmpdir(), 'inboxguard-bench-sigs-'));
writeFileSync(join(signatureDir, 'bench.ndb'), generatedSignatures(1000));
const message = bigMessage(Math.round(mib * MiB * 1.37), { seed: 5 });
const context = { protocol: 'imap' as const, section: 'BODY[]' };
const inspections: Record<string, { whole: number[]; streamed: number[]; wholeDecodes: number }> = {};
try {
  for (const [name, signatureDirs] of [
    ['shipped signatures', []],
    ['1,000 generated .ndb', [signatureDir]],
  ] as const) {
    const engine = await createBuiltinEngine({ signatureDirs: [...signatureDirs] });
    const inspector = { engines: [engine], archiveLimits: defaultArchiveLimits, facts: engine.facts, factsFromHead: engine.factsFromHead };
    const entry = (inspections[name] = { whole: [] as number[], streamed: [] as number[], wholeDecodes: 0 });
    for (let round = 0; round < rounds; round++) {
      for (const mode of ['whole', 'streamed'] as const) {
        const streamed: StreamedPart[] = [];
        const onStreamed = (_: string, part: StreamedPart) => streamed.push(part);
        entry[mode].push(await cpuMsAsync(() => inspectMessage(shapeOf(message, context), context, inspector, [], undefined, { streamPartBytes: mode === 'whole' ? Infinity : 0, onStreamed })));
        entry.wholeDecodes += streamed.reduce((sum, part) => sum + part.work.wholeDecodes, 0);
      }
    }
  }
} finally {
  rmSync(signatureDir, { recursive: true, force: true });
}

const best = (list: number[]) => Math.round(Math.min(...list) * 10) / 10;
const rate = (mebibytes: number, ms: number) => Math.round((mebibytes / (ms / 1000)) * 10) / 10;
console.log(
  JSON.stringify(
    {
      machine: machine(),
      rounds,
      decoders: Object.fromEntries(
        Object.entries(decoders).map(([encoding, entry]) => [
          encoding,
          {
            encodedMiB: Math.round(entry.encodedMiB * 10) / 10,
            wholeCpuMs: best(entry.whole),
            streamedCpuMs: best(entry.streamed),
            wholeMiBps: rate(entry.encodedMiB, best(entry.whole)),
            streamedMiBps: rate(entry.encodedMiB, best(entry.streamed)),
            'streamed / whole CPU': Math.round((best(entry.streamed) / best(entry.whole)) * 100) / 100,
          },
        ]),
      ),
      inspectMessage: Object.fromEntries(
        Object.entries(inspections).map(([name, entry]) => [
          name,
          {
            messageMiB: Math.round((message.length / MiB) * 10) / 10,
            wholeCpuMs: best(entry.whole),
            streamedCpuMs: best(entry.streamed),
            'streamed / whole CPU': Math.round((best(entry.streamed) / best(entry.whole)) * 100) / 100,
            streamedPartsDecodedWholeAfterAll: entry.wholeDecodes,
          },
        ]),
      ),
    },
    null,
    2,
  ),
);
