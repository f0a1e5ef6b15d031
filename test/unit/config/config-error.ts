import assert from 'node:assert/strict';
import { parseConfigText } from '../../../src/config/load.js';

/** The one-line problem parseConfigText reports for `text`; fails the test when the text is valid. */
export function configErrorOf(text: string): string {
  try {
    parseConfigText(text, 'cfg.yaml');
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('expected a validation error');
}
