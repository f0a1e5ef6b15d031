#!/usr/bin/env node
// Checks the import graph, then runs the test suite with Node's test runner. Node 20's --test does not expand globs, so list files here.
// Usage: node scripts/run-tests.mjs [unit|integration] [extra node --test args]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const which = process.argv[2] === 'unit' || process.argv[2] === 'integration' ? process.argv[2] : undefined;
const extra = process.argv.slice(which ? 3 : 2);
const roots = which ? [join('test', which)] : [join('test', 'unit'), join('test', 'integration')];

function collect(dir) {
  let out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries.sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out = out.concat(collect(full));
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

const files = roots.flatMap(collect);
if (files.length === 0) {
  console.error('no test files found under', roots.join(', '));
  process.exit(1);
}
// The import graph first (../.dependency-cruiser.cjs): an arrow pointing the wrong way fails the run like a test.
const imports = spawnSync('npm', ['run', '--silent', 'lint:imports'], { stdio: 'inherit', shell: process.platform === 'win32' });
if (imports.status !== 0) {
  console.error('import graph check failed (npm run lint:imports); see the rules in .dependency-cruiser.cjs');
  process.exit(imports.status ?? 1);
}
// No single test may wait forever: a hang fails that test by name instead of stalling the whole run.
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=240000', ...extra, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
