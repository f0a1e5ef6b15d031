// CPU time of the scan worker's side of scan-cost.ts's message (~10 MB, a zip attachment holding a 7 MiB
// stored payload.bin, + EICAR in the infected one, stripped): createEvaluator from a build's dist, run
// in this process's children one build at a time, interleaved round by round. CPU milliseconds per
// evaluation (user + system, so other load on the machine counts less than in wall time). Prints JSON.
// Usage: npm run build && node --import tsx scripts/bench/archive-evaluate-cost.ts [--rounds N] [--evaluations N] [--baseline OTHER/dist]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytesFromSeed, withAttachments } from '../../test/helpers/messages.js';
import { EICAR } from '../../test/unit/scan/archive/archive-builders.js';
import { writeZip } from '../../test/unit/scan/archive/zip-writer.js';
import { median } from './mailbox.js';

const option = (name: string): string | undefined => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const CHILD = '--child';
const CONTEXT = { protocol: 'imap' as const, section: 'BODY[]', listener: 'bench', user: 'alice', mailbox: 'INBOX', uid: 1 };

function message(withEicar: boolean): Buffer {
  const payload = randomBytesFromSeed(7 * 1024 * 1024, 11);
  const zip = writeZip([...(withEicar ? [{ name: 'eicar.com', data: EICAR }] : []), { name: 'payload.bin', data: payload, method: 'store' as const }]);
  return withAttachments({ seed: 70, subject: withEicar ? 'infected' : 'clean', attachments: [{ filename: 'data.zip', contentType: 'application/zip', content: zip }] });
}

/** In a child: evaluates the message `evaluations` times (after 2 warm-up runs) and prints its CPU ms per evaluation. */
async function child(dist: string, which: string, evaluations: number): Promise<void> {
  const { configSchema } = await import(join(dist, 'config/schema.js'));
  const { createInspector, policyFrom } = await import(join(dist, 'scan/create-inspector.js'));
  const { createEvaluator } = await import(join(dist, 'scan/evaluate.js'));
  const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-evaluate-cost-'));
  try {
    const settings = configSchema.parse({ scan: { engines: ['builtin'] } });
    const engines = await createInspector(settings, dataDir, ['builtin']);
    const evaluate = createEvaluator(engines.inspector, policyFrom(settings));
    const bytes = message(which === 'infected');
    for (let i = 0; i < 2; i++) await evaluate(bytes, CONTEXT);
    const cpu = process.cpuUsage();
    let action = '';
    for (let i = 0; i < evaluations; i++) action = (await evaluate(bytes, CONTEXT)).decision.action;
    const used = process.cpuUsage(cpu);
    await engines.close();
    console.log(JSON.stringify({ action, cpuMs: (used.user + used.system) / 1000 / evaluations }));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes(CHILD)) {
  await child(option(CHILD)!, option('--which')!, Number(option('--evaluations')));
} else {
  const rounds = Number(option('--rounds') ?? 3);
  const evaluations = Number(option('--evaluations') ?? 8);
  const builds: Record<string, string> = { inboxguard: fileURLToPath(new URL('../../dist', import.meta.url)), ...(option('--baseline') ? { baseline: option('--baseline')! } : {}) };
  const cpuMs: Record<string, number[]> = {};
  const actions: Record<string, string> = {};
  for (let round = 0; round < rounds; round++) {
    for (const which of ['clean', 'infected']) {
      for (const [name, dist] of Object.entries(builds)) {
        const run = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), CHILD, dist, '--which', which, '--evaluations', String(evaluations)], { encoding: 'utf8' });
        if (run.status !== 0) throw new Error(`${name} ${which}: ${run.stderr}`);
        const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { action: string; cpuMs: number };
        (cpuMs[`${name} ${which}`] ??= []).push(result.cpuMs);
        actions[`${name} ${which}`] = result.action;
      }
    }
  }
  const medians = Object.fromEntries(Object.entries(cpuMs).map(([key, values]) => [key, Math.round(median(values) * 10) / 10]));
  const added = (name: string) => Math.round((medians[`${name} infected`] - medians[`${name} clean`]) * 10) / 10;
  console.log(
    JSON.stringify(
      {
        benchmark: 'CPU ms per evaluation of scan-cost.ts’s message (median of rounds)',
        rounds,
        evaluations,
        actions,
        cpuMsPerEvaluation: medians,
        infectedAddsCpuMs: Object.fromEntries(Object.keys(builds).map((name) => [name, added(name)])),
      },
      null,
      2,
    ),
  );
}
