// Any error that escapes during a test (an unhandled 'error' event, a rejected promise nobody awaits)
// fails that test: call once at the top level of a test file.
import assert from 'node:assert/strict';
import { afterEach, beforeEach } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

export function failTestsOnEscapedErrors(what = 'no error escaped'): void {
  const escaped: unknown[] = [];
  const onEscape = (error: unknown): void => {
    escaped.push(error);
  };
  beforeEach(() => {
    escaped.length = 0;
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
  });
  afterEach(async () => {
    // A rejection nobody awaits is reported a turn or two after the test's last await.
    await sleep(20);
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
    assert.deepEqual(escaped, [], what);
  });
}
