// Time of one ICAP analysis through the real c-icap (virus_scan, simple mode) + clamd, beside the
// same part sent to that clamd directly (INSTREAM), for EICAR and for a clean part, each with and
// without a preview. Medians over --runs, OPTIONS already cached.
//
//   node --import tsx scripts/bench/icap-analysis.ts [--runs 20] [--clean-kb 100]
//
// Prints JSON. Only ratios from one run on one machine mean anything.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startCIcap } from '../test-servers/c-icap.js';
import { createIcapBackend } from '../../src/scan/analysis/icap/index.js';
import { EICAR_STRING } from '../../src/scan/engines/builtin/eicar.js';
import { createClamdEngine } from '../../src/scan/engines/clamd/index.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, 'clean-kb': { type: 'string', default: '100' } } });
const runs = Number(values.runs);
const parts = { eicar: Buffer.from(EICAR_STRING, 'latin1'), clean: randomBytes(Number(values['clean-kb']) * 1024) };

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] * 100) / 100;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

const icap = await startCIcap();
try {
  const withPreview = createIcapBackend({ url: icap.url });
  const withoutPreview = createIcapBackend({ url: icap.url, preview: 'off' });
  const options = await withPreview.options();
  const clamd = createClamdEngine({ address: { socket: icap.clamd.socketPath } });
  const info = { fileName: 'part', location: [], insideArchive: false };
  const result: Record<string, unknown> = { runs, cleanBytes: parts.clean.length, serverPreview: options.preview };
  for (const [label, content] of Object.entries(parts)) {
    const verdicts = [(await withPreview.analyse(content, { name: label })).verdict, (await withoutPreview.analyse(content, { name: label })).verdict];
    result[label] = {
      verdicts,
      icapPreviewMs: await timed(() => withPreview.analyse(content, { name: label })),
      icapNoPreviewMs: await timed(() => withoutPreview.analyse(content, { name: label })),
      clamdDirectMs: await timed(() => clamd.scan(content, info)),
    };
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await icap.stop();
}
