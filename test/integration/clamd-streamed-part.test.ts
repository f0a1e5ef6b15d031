// A large part streamed to a real clamd (INSTREAM sent as the part is decoded) gives the report the
// whole part gives: detections, clean parts, both ways clamd's stream limit shows (our
// streamMaxLength, or clamd's own answer), and a clamd that cannot be reached.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLAMD_PACKAGES, startClamd, type ClamdServer } from '../../scripts/test-servers/clamd.js';
import { shapeOf } from '../../src/scan/body-shape.js';
import { defaultArchiveLimits } from '../../src/scan/archive/index.js';
import { createBuiltinEngine, EICAR_STRING, type BuiltinEngine } from '../../src/scan/engines/builtin/index.js';
import { createClamdEngine } from '../../src/scan/engines/clamd/index.js';
import type { FileInspector } from '../../src/scan/inspect-file.js';
import { inspectMessage } from '../../src/scan/inspect-message.js';
import type { StreamedPart } from '../../src/scan/inspect-streamed-part.js';
import type { ContentEngine } from '../../src/scan/types.js';
import type { BodyContext } from '../../src/types/body-context.js';
import { randomBytesFromSeed, withAttachments } from '../helpers/messages.js';
import { requireCommand } from '../helpers/require-servers.js';

const skip = requireCommand('clamd', CLAMD_PACKAGES);
const CONTEXT: BodyContext = { protocol: 'imap', section: 'BODY[]' };
const MB = 1024 * 1024;

function attachment(content: Buffer, seed: number): Buffer {
  return withAttachments({ seed, attachments: [{ filename: 'big.bin', contentType: 'application/octet-stream', content }] });
}

function withEicarAt(size: number, at: number, seed: number): Buffer {
  const data = randomBytesFromSeed(size, seed);
  Buffer.from(EICAR_STRING, 'latin1').copy(data, at);
  return data;
}

describe('a large part streamed to clamd', { skip }, () => {
  let clamd: ClamdServer;
  let smallLimit: ClamdServer;
  let builtin: BuiltinEngine;
  before(async () => {
    [clamd, smallLimit] = await Promise.all([startClamd(), startClamd({ config: { StreamMaxLength: '1M' } })]);
    builtin = await createBuiltinEngine({ signatureDirs: [] });
  });
  after(async () => {
    await Promise.all([clamd?.stop(), smallLimit?.stop()]);
  });

  async function both(bytes: Buffer, engines: ContentEngine[]) {
    const inspector: FileInspector = { engines, archiveLimits: defaultArchiveLimits, facts: builtin.facts, factsFromHead: builtin.factsFromHead };
    const whole = await inspectMessage(shapeOf(bytes, CONTEXT), CONTEXT, inspector, [], undefined, { streamPartBytes: Infinity });
    const streamedParts: StreamedPart[] = [];
    const streamed = await inspectMessage(shapeOf(bytes, CONTEXT), CONTEXT, inspector, [], undefined, { streamPartBytes: 0, onStreamed: (_, part) => streamedParts.push(part) });
    assert.ok(streamedParts.length > 0, 'the large part was streamed');
    assert.deepEqual(streamed, whole);
    return streamed;
  }

  it('finds what clamd finds in the whole part, wherever it sits, and nothing in a clean one', async () => {
    const engines = [builtin, createClamdEngine({ address: { host: clamd.host, port: clamd.port }, chunkBytes: 256 * 1024 })];
    for (const at of [0, 3 * MB - 30, 6 * MB - 100]) {
      const inspection = await both(attachment(withEicarAt(6 * MB, at, at), 1), engines);
      assert.deepEqual(
        inspection.findings.map((finding) => `${finding.engine}:${finding.name}`).sort(),
        ['builtin:Test.EICAR.Body.UNOFFICIAL', 'clamd:Test.EICAR.Body.UNOFFICIAL'],
        `EICAR at ${at}`,
      );
    }
    const clean = await both(attachment(randomBytesFromSeed(5 * MB, 2), 2), engines);
    assert.deepEqual(clean.findings, []);
    assert.equal(clean.verdict, 'clean');
  });

  it('reports the stream limit as the whole part does: from our streamMaxLength, and from clamd itself', async () => {
    const address = { host: smallLimit.host, port: smallLimit.port };
    const bytes = attachment(randomBytesFromSeed(3 * MB, 3), 3);
    for (const clamdEngine of [createClamdEngine({ address, streamMaxLength: MB }), createClamdEngine({ address })]) {
      const inspection = await both(bytes, [clamdEngine]);
      assert.deepEqual(
        inspection.findings.map((finding) => finding.name),
        ['ClamAV.SizeLimitExceeded'],
      );
    }
  });

  it('a clamd that is gone is an engine error in both ways', async () => {
    const gone = createClamdEngine({ address: { host: '127.0.0.1', port: 1 } });
    const inspection = await both(attachment(randomBytesFromSeed(3 * MB, 4), 4), [gone]);
    assert.equal(inspection.verdict, 'error');
    assert.deepEqual(
      inspection.parts.map((part) => part.errors.length),
      [1, 1],
    );
    assert.ok(inspection.errors.every((error) => error.startsWith('clamd: ')));
  });
});
