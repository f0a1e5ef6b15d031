// Runs test files with node:test's run() in the order given (`node --test` sorts its files by name),
// so that scripts/run-tests.mjs can start the longest files first. Started by run-tests.mjs with
// --import tsx in its execArgv, which run() hands on to every test file's process.
// Usage: node --import tsx scripts/test-runner.mjs [options] -- FILE...
// Options, as node --test spells them: --test-concurrency=N, --test-timeout=MS (for the file as a whole),
// --test-reporter=R and --test-reporter-destination=D (repeatable, paired in order), --test-name-pattern=P
// (repeatable), --test-only, --test-shard=I/N.
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { compose } from 'node:stream';
import { run } from 'node:test';
import * as builtinReporters from 'node:test/reporters';
import { pathToFileURL } from 'node:url';

const separator = process.argv.indexOf('--');
if (separator < 0) usage('no "--" before the test files');
const files = process.argv.slice(separator + 1);
const options = parseOptions(process.argv.slice(2, separator));

async function loadReporter(name) {
  let reporter = Object.hasOwn(builtinReporters, name) && name !== 'default' ? builtinReporters[name] : (await import(pathToFileURL(resolve(name)).href)).default;
  // Node's spec reporter is a class (constructed per run); the others are async generator functions.
  if (reporter?.prototype && Object.getOwnPropertyDescriptor(reporter.prototype, 'constructor') && !isAsyncGeneratorFunction(reporter)) reporter = new reporter();
  if (!reporter) usage(`${name} is not a test reporter`);
  return reporter;
}

function isAsyncGeneratorFunction(value) {
  return Object.prototype.toString.call(value) === '[object AsyncGeneratorFunction]';
}

async function setupReporters(root) {
  // Node's default: spec on a terminal, tap otherwise; a destination defaults to stdout.
  const names = options.reporters.length > 0 ? options.reporters : [process.stdout.isTTY ? 'spec' : 'tap'];
  for (const [index, name] of names.entries()) {
    const target = options.destinations[index] ?? 'stdout';
    const destination = target === 'stdout' ? process.stdout : target === 'stderr' ? process.stderr : createWriteStream(target);
    compose(root, await loadReporter(name)).pipe(destination);
  }
}

const stream = run({
  files,
  concurrency: options.concurrency,
  timeout: options.timeout,
  testNamePatterns: options.namePatterns.length > 0 ? options.namePatterns : undefined,
  only: options.only || undefined,
  shard: options.shard,
  setup: setupReporters,
});
// As node --test does: any failed test (not todo) fails the run.
stream.on('test:fail', (data) => {
  if (data.todo === undefined || data.todo === false) process.exitCode = 1;
});

function parseOptions(args) {
  const parsed = { concurrency: 1, timeout: Infinity, reporters: [], destinations: [], namePatterns: [], only: false, shard: undefined };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? args[++index] ?? usage(`${flag} needs a value`);
    switch (flag) {
      case '--test-concurrency': parsed.concurrency = positiveInteger(flag, value()); break;
      case '--test-timeout': parsed.timeout = positiveInteger(flag, value()); break;
      case '--test-reporter': parsed.reporters.push(value()); break;
      case '--test-reporter-destination': parsed.destinations.push(value()); break;
      case '--test-name-pattern': parsed.namePatterns.push(value()); break;
      case '--test-only': parsed.only = true; break;
      case '--test-shard': {
        const match = /^(\d+)\/(\d+)$/.exec(value()) ?? usage('--test-shard takes INDEX/TOTAL');
        parsed.shard = { index: Number(match[1]), total: Number(match[2]) };
        break;
      }
      default: usage(`unsupported option ${arg}`);
    }
  }
  return parsed;
}

function positiveInteger(flag, text) {
  const number = Number(text);
  if (!Number.isInteger(number) || number < 1) usage(`${flag} takes a positive integer, not ${text}`);
  return number;
}

function usage(problem) {
  console.error(`test-runner: ${problem}`);
  console.error('supported: --test-concurrency=N --test-timeout=MS --test-reporter=R --test-reporter-destination=D --test-name-pattern=P --test-only --test-shard=I/N');
  process.exit(2);
}
