#!/usr/bin/env node
// Checks the import graph, then runs the test suite with Node's test runner, the longest files first.
// Usage: node scripts/run-tests.mjs [unit|integration] [--record-durations] [node --test options: see scripts/test-runner.mjs]
// --record-durations also writes each file's time to test/durations.json, which orders later runs.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { longestFirst, readDurations } from './test-order.mjs';

const DURATIONS = join('test', 'durations.json');
// The reporter writes here; merged into DURATIONS once the run is over, so an interrupted run leaves the old record.
const RECORDING = `${DURATIONS}.recording`;
const which = process.argv[2] === 'unit' || process.argv[2] === 'integration' ? process.argv[2] : undefined;
const rest = process.argv.slice(which ? 3 : 2);
const record = rest.includes('--record-durations');
const extra = rest.filter((arg) => arg !== '--record-durations');
if (record && extra.some((arg) => /^--test-(name-pattern|only|shard)/.test(arg))) {
  console.error('--record-durations times whole files: it cannot be combined with --test-name-pattern, --test-only or --test-shard');
  process.exit(2);
}
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

const files = longestFirst(roots.flatMap(collect), readDurations(DURATIONS));
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
const reporters = [];
if (record) {
  // The usual report still goes to the terminal (Node's default: spec on a terminal, tap otherwise) unless reporters were named.
  if (!extra.some((arg) => arg.startsWith('--test-reporter'))) reporters.push(`--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`, '--test-reporter-destination=stdout');
  reporters.push('--test-reporter=scripts/test-durations-reporter.mjs', `--test-reporter-destination=${RECORDING}`);
}
// No test file may run forever: one that takes longer than this fails by its name instead of stalling the
// whole run (run()'s timeout, like node --test's in Node 20, is for each file as a whole).
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', join('scripts', 'test-runner.mjs'), '--test-concurrency=2', '--test-timeout=240000', ...extra, ...reporters, '--', ...files],
  { stdio: 'inherit' },
);
if (record) {
  // The files this run timed replace their old times; the others (a run of unit tests only) keep theirs.
  let timed = [];
  try { timed = JSON.parse(readFileSync(RECORDING, 'utf8')); } catch { /* an interrupted run timed nothing */ }
  rmSync(RECORDING, { force: true });
  if (timed.length > 0) {
    const merged = readDurations(DURATIONS);
    for (const { file, seconds } of timed) merged.set(file, seconds);
    for (const file of merged.keys()) if (!existsSync(file)) merged.delete(file);
    const rows = [...merged].map(([file, seconds]) => ({ file, seconds })).sort((a, b) => b.seconds - a.seconds || a.file.localeCompare(b.file));
    // One file a line, so a change to the record reads (and merges) line by line.
    writeFileSync(`${DURATIONS}.tmp`, `[\n${rows.map((row) => JSON.stringify(row)).join(',\n')}\n]\n`);
    renameSync(`${DURATIONS}.tmp`, DURATIONS);
  }
}
process.exit(result.status ?? 1);
