import type { BodyScanner } from './body-scanner.js';

/**
 * Delivers every body unchanged. The proxy uses it until the scanning pipeline is configured;
 * the protocol engines still parse and re-frame everything, so interception is exercised end to end.
 */
export const noScanning: BodyScanner = {
  scan: async () => ({ changed: false }),
};
