import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Exits with status 2 and one line when `dist/<file>` is missing: the benchmarks measure the compiled proxy. */
export function requireBuild(file = 'cli/main.js', what = 'proxy'): void {
  if (existsSync(fileURLToPath(new URL(`../../dist/${file}`, import.meta.url)))) return;
  console.error(`bench: run \`npm run build\` first (the benchmark measures the compiled ${what})`);
  process.exit(2);
}
