// The ~10 MB message of scan-cost.ts: a zip attachment (7 MiB of random bytes, stored) with or without EICAR.
import { randomBytesFromSeed, withAttachments } from '../../test/helpers/messages.js';
import { EICAR } from '../../test/unit/scan/archive/archive-builders.js';
import { writeZip } from '../../test/unit/scan/archive/zip-writer.js';

const payload = randomBytesFromSeed(7 * 1024 * 1024, 11);

export function scanCostMessage(withEicar: boolean, subject = withEicar ? 'infected' : 'clean'): Buffer {
  return withAttachments({
    seed: 70,
    subject,
    attachments: [{ filename: 'data.zip', contentType: 'application/zip', content: writeZip([...(withEicar ? [{ name: 'eicar.com', data: EICAR }] : []), { name: 'payload.bin', data: payload, method: 'store' as const }]) }],
  });
}
