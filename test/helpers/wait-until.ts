// One way for tests to wait for something the code under test does asynchronously. It looks again after
// every turn of the event loop at first (most things settle within a few), then every few milliseconds
// so a busy machine's thread pool and disk get their time. The bound only keeps a broken test from
// hanging the run; it measures nothing.
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

const QUICK_TURNS = 100;
const POLL_MS = 5;

export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string | (() => string) = 'the condition', timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let turn = 0; !(await condition()); turn++) {
    if (Date.now() > deadline) throw new Error(`never happened within ${timeoutMs} ms: ${typeof what === 'string' ? what : what()}`);
    await (turn < QUICK_TURNS ? nextTurn() : sleep(POLL_MS));
  }
}
