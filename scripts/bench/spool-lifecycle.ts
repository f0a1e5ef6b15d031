// What a clean body's spool costs on the proxy's event loop, start to end: a small message arrives
// (announced size, in chunks), is finished, read for the scan (which watches for the session's end
// while it runs, where the build has whenDiscarded) and disposed after delivery — the path of every
// message. With `--baseline OTHER/dist` that build's BodySpool runs the same work, alternating
// round by round. Prints JSON: spool lives per second (median of the rounds) per build and their ratio.
// Compiled builds only (npm run build).
// Usage: npm run build && node --import tsx scripts/bench/spool-lifecycle.ts [--rounds N] [--bodies N] [--bytes N] [--baseline OTHER/dist]
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine } from './machine.js';

const argument = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const rounds = Number(argument('--rounds', '7'));
const bodies = Number(argument('--bodies', '50000'));
const bytes = Number(argument('--bytes', '8192'));
const baseline = argument('--baseline', '');
const ownDist = fileURLToPath(new URL('../../dist', import.meta.url));

for (const dist of [ownDist, baseline].filter(Boolean)) {
  if (!existsSync(join(dist, 'proxy/body-spool.js'))) {
    console.error(`bench: no compiled build at ${dist} (npm run build)`);
    process.exit(2);
  }
}

interface Spool {
  append(bytes: Buffer): void;
  finish(): Promise<void>;
  readAll(): Promise<Buffer>;
  whenDiscarded?(listener: () => void): () => void;
  dispose(): void;
}
type SpoolClass = new (memoryLimit: number, options: { announcedSize?: number }) => Spool;

const body = Buffer.alloc(bytes, 'a');
const chunk = Math.max(1, Math.ceil(bytes / 4));

async function lives(BodySpool: SpoolClass): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < bodies; i++) {
    const spool = new BodySpool(16 * 1024 * 1024, { announcedSize: bytes });
    for (let offset = 0; offset < bytes; offset += chunk) spool.append(body.subarray(offset, offset + chunk));
    await spool.finish();
    const unwatch = spool.whenDiscarded?.(() => undefined);
    await spool.readAll();
    unwatch?.();
    spool.dispose();
  }
  return bodies / ((performance.now() - started) / 1000);
}

const builds: { name: string; BodySpool: SpoolClass }[] = [];
for (const [name, dist] of [['thisBuild', ownDist], ['baselineBuild', baseline]] as const) {
  if (!dist) continue;
  const module = (await import(pathToFileURL(join(resolve(dist), 'proxy/body-spool.js')).href)) as { BodySpool: SpoolClass };
  builds.push({ name, BodySpool: module.BodySpool });
}
// Warm-up (JIT), not measured.
for (const build of builds) await lives(build.BodySpool);
const rates = new Map<string, number[]>(builds.map((build) => [build.name, []]));
for (let round = 0; round < rounds; round++) {
  for (const build of round % 2 === 0 ? builds : [...builds].reverse()) rates.get(build.name)!.push(await lives(build.BodySpool));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const result: Record<string, unknown> = { benchmark: `${bodies} clean ${bytes}-byte bodies: new BodySpool, append, finish, readAll (watched), dispose`, rounds };
for (const [name, values] of rates) result[name] = { spoolsPerSecond: Math.round(median(values)), rounds: values.map(Math.round) };
if (baseline) result.ratio = Number((median(rates.get('thisBuild')!) / median(rates.get('baselineBuild')!)).toFixed(2));
result.baselinePath = baseline || undefined;
result.machine = machine();
console.log(JSON.stringify(result, null, 2));
