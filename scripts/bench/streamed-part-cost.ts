// CPU cost of a large part scanned as it is decoded against decoded whole, in one run, rounds
// alternating: the transfer decoders alone (decodeBody vs the streaming decoders over 64 KiB encoded
// slices) for base64 and quoted-printable, and inspectMessage with the builtin engine (shipped
// signatures) on a message with one large base64 attachment, streamed (threshold 0) vs whole
// (threshold infinity). Prints JSON: best CPU milliseconds per build, MB/s of encoded input, ratios.
// Usage: node --expose-gc --import tsx scripts/bench/streamed-part-cost.ts [--mib 32] [--rounds 5]
import { decodeBody } from '../../src/mime/decode/body.js';
import { decodedSlices, streamDecoder } from '../../src/mime/decode/decoded-slices.js';
import { bufferSource } from '../../src/mime/byte-source.js';
import { defaultArchiveLimits } from '../../src/scan/archive/index.js';
import { shapeOf } from '../../src/scan/body-shape.js';
import { createBuiltinEngine } from '../../src/scan/engines/builtin/index.js';
import { inspectMessage } from '../../src/scan/inspect-message.js';
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

const engine = await createBuiltinEngine({ signatureDirs: [] });
const inspector = { engines: [engine], archiveLimits: defaultArchiveLimits, facts: engine.facts, factsFromHead: engine.factsFromHead };
const message = bigMessage(Math.round(mib * MiB * 1.37), { seed: 5 });
const context = { protocol: 'imap' as const, section: 'BODY[]' };
const inspections = { whole: [] as number[], streamed: [] as number[] };
for (let round = 0; round < rounds; round++) {
  for (const [name, threshold] of [
    ['whole', Infinity],
    ['streamed', 0],
  ] as const) {
    inspections[name].push(await cpuMsAsync(() => inspectMessage(shapeOf(message, context), context, inspector, [], undefined, { streamPartBytes: threshold })));
  }
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
      inspectMessage: {
        messageMiB: Math.round((message.length / MiB) * 10) / 10,
        wholeCpuMs: best(inspections.whole),
        streamedCpuMs: best(inspections.streamed),
        'streamed / whole CPU': Math.round((best(inspections.streamed) / best(inspections.whole)) * 100) / 100,
      },
    },
    null,
    2,
  ),
);
