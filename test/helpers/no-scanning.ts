import type { BodyScanner } from '../../src/scan/body-scanner.js';

/**
 * Delivers every body unchanged: for tests of the relay itself. The protocol engines still parse and
 * re-frame everything, so interception is exercised end to end.
 */
export const noScanning: BodyScanner = {
  scan: async () => ({ changed: false }),
};
