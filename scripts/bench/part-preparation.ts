// What a scan does to every part before the engines look at it, on its own: walk each message of the
// bench mailbox, decode every part, read its `malformed` and the walk's (as inspectMessage does), and
// find the part's true file type (the builtin engine's facts), for this checkout and, with
// `--baseline OTHER` (another checkout's root, e.g. an older commit unpacked with node_modules linked),
// for that one, rounds alternating. Prints JSON: CPU milliseconds per pass (best round) and MB/s of
// message per build, their ratio, and the base64 characters handed to Node's native decoder per pass
// (counted, so the comparison does not depend on the machine's load).
// Usage: node --import tsx scripts/bench/part-preparation.ts [--messages 100] [--rounds 5] [--baseline DIR]
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { WalkResult } from '../../src/mime/index.js';
import type { FileFacts } from '../../src/scan/types.js';
import { benchMailbox } from './mailbox.js';
import { nativeBase64Characters } from '../../test/helpers/native-base64-work.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '100' }, rounds: { type: 'string', default: '5' }, baseline: { type: 'string' } } });
const rounds = Number(values.rounds);

type Walk = (message: Buffer) => WalkResult;
type DetectFileType = (content: Buffer, fileName?: string) => FileFacts;

interface Code {
  walk: Walk;
  detectFileType: DetectFileType;
}

interface Build {
  name: string;
  code: Code;
  bestCpuMs: number;
  nativeCharacters: number;
}

async function load(root: string): Promise<Code> {
  const from = async <T>(path: string) => (await import(pathToFileURL(join(resolve(root), path)).href)) as T;
  const [{ walkMessage }, { detectFileType }] = await Promise.all([
    from<{ walkMessage: Walk }>('src/mime/index.ts'),
    from<{ detectFileType: DetectFileType }>('src/scan/engines/builtin/file-type/detect-file-type.ts'),
  ]);
  return { walk: walkMessage, detectFileType };
}

/** One pass as the scanner makes it; returns a checksum of what it saw, so builds can be compared. */
function scanPass(code: Code, messages: Buffer[]): string {
  let decodedBytes = 0;
  const seen: string[] = [];
  for (const message of messages) {
    const result = code.walk(message);
    for (const part of result.parts) {
      const content = part.decode();
      decodedBytes += content.length;
      seen.push(JSON.stringify(code.detectFileType(content, part.fileName)));
      if (part.malformed) seen.push(part.malformed);
    }
    if (result.malformed) seen.push(result.malformed);
  }
  return `${decodedBytes}:${seen.join('|')}`;
}

function cpuMs(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** Characters given to Node's base64 decoder during one pass. */
async function nativeCharacters(code: Code, messages: Buffer[]): Promise<number> {
  return (await nativeBase64Characters(() => scanPass(code, messages))).characters;
}

async function main(): Promise<void> {
  const messages = benchMailbox(Number(values.messages));
  const megabytes = messages.reduce((sum, message) => sum + message.length, 0) / (1024 * 1024);
  const builds: Build[] = [{ name: 'this', code: await load(join(import.meta.dirname, '../..')), bestCpuMs: Infinity, nativeCharacters: 0 }];
  if (values.baseline) builds.push({ name: 'baseline', code: await load(values.baseline), bestCpuMs: Infinity, nativeCharacters: 0 });

  const seen = new Set(builds.map((build) => scanPass(build.code, messages)));
  if (seen.size !== 1) throw new Error('the builds decode different bytes, or report different problems or file types');
  for (const build of builds) build.nativeCharacters = await nativeCharacters(build.code, messages);
  for (let round = 0; round < rounds; round++) {
    for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
      build.bestCpuMs = Math.min(build.bestCpuMs, cpuMs(() => scanPass(build.code, messages)));
    }
  }
  const round1 = (value: number) => Math.round(value * 10) / 10;
  const report = {
    mailbox: { messages: messages.length, megabytes: round1(megabytes), rounds, measure: 'best round, CPU time of this process' },
    builds: Object.fromEntries(
      builds.map((build) => [build.name, { cpuMs: round1(build.bestCpuMs), mbPerSecond: round1(megabytes / (build.bestCpuMs / 1000)), nativeBase64Characters: build.nativeCharacters }]),
    ),
    ...(builds.length === 2 ? { speedup: Math.round((builds[1].bestCpuMs / builds[0].bestCpuMs) * 100) / 100 } : {}),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
