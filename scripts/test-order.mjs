// The order scripts/run-tests.mjs starts the test files in. Two run at a time: a long file started last
// would run alone at the end, so the files go longest first by their recorded time (test/durations.json,
// [{ file, seconds }]). A file with no record yet (a new one) goes first of all, as if long; ties keep
// the given order.
import { existsSync, readFileSync } from 'node:fs';

export function readDurations(path) {
  const recorded = new Map();
  if (!existsSync(path)) return recorded;
  let rows;
  try {
    rows = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: ${error.message}; delete it or run node scripts/run-tests.mjs --record-durations to write it again`);
  }
  for (const { file, seconds } of rows) recorded.set(file, seconds);
  return recorded;
}

/** `files` as paths relative to the repository; `recorded` maps such paths (with /) to seconds. */
export function longestFirst(files, recorded) {
  const time = (file) => recorded.get(file.split('\\').join('/')) ?? Infinity;
  return files
    .map((file, index) => ({ file, index, seconds: time(file) }))
    .sort((a, b) => (a.seconds === b.seconds ? a.index - b.index : b.seconds - a.seconds))
    .map(({ file }) => file);
}
