import type { BodyContext } from '../../src/protocol/engine.js';
import type { BodyScanner, SpooledBody } from '../../src/scan/body-scanner.js';

export const MARKER = 'INBOXGUARD-TEST-MARKER';

/**
 * A test scanner: replaces every MARKER by a replacement of the same length (or another length when
 * asked), so rewriting and re-framing are exercised for real. Records what it saw.
 */
export function markerScanner(replacement = 'X'.repeat(MARKER.length), delayMs = 0): BodyScanner & { seen: BodyContext[] } {
  const seen: BodyContext[] = [];
  return {
    seen,
    async scan(body: SpooledBody, context: BodyContext) {
      seen.push(context);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const content = await body.readAll();
      const text = content.toString('latin1');
      if (!text.includes(MARKER)) return { changed: false };
      return { changed: true, content: Buffer.from(text.split(MARKER).join(replacement), 'latin1') };
    },
  };
}
