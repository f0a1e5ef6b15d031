// A node:test reporter that prints how long each test file took (its process, start to end), longest
// first, as JSON: [{ "file": "test/…", "seconds": 12.3 }, …]. scripts/run-tests.mjs --record-durations
// writes this to test/durations.json, from which it starts the longest files first.
import { relative, resolve } from 'node:path';

export default async function* testDurations(source) {
  const seconds = new Map();
  for await (const event of source) {
    if (event.type !== 'test:complete' || event.data.nesting !== 0 || event.data.file === undefined) continue;
    // The event of the file as a whole is the one named after the file itself.
    if (resolve(event.data.name) !== event.data.file) continue;
    const file = relative(process.cwd(), event.data.file).split('\\').join('/');
    seconds.set(file, Math.round((event.data.details?.duration_ms ?? 0) / 100) / 10);
  }
  const rows = [...seconds].map(([file, time]) => ({ file, seconds: time })).sort((a, b) => b.seconds - a.seconds || a.file.localeCompare(b.file));
  yield `${JSON.stringify(rows, null, 1)}\n`;
}
