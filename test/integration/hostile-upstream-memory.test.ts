import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { memoryLimits } from '../../src/protocol/limits.js';
import { processMemory } from '../../src/protocol/memory-budget.js';
import { spoolCounters } from '../../src/proxy/body-spool.js';
import { eventsPath, readEvents } from '../../src/store/events.js';
import { sha256 } from '../helpers/clients.js';
import { startFaultInjectingImapServer, type FaultInjectingImapServer } from '../helpers/fault-injecting-imap-server.js';
import { nestedMixed, nestedMultipart, nestedRfc822 } from '../helpers/hostile-mime.js';
import { literalAfter, RawImap } from '../helpers/imap-raw.js';
import { withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { RawClient } from '../helpers/raw-client.js';
import { requireDovecot } from '../helpers/require-servers.js';
import { waitUntil } from '../helpers/wait-until.js';

const skip = requireDovecot();
const KiB = 1024;
const MEMORY_BUFFER_BYTES = 256 * KiB;
const budget = memoryLimits(MEMORY_BUFFER_BYTES);
const BODIES = 60;

function hostileBodies(): Buffer[] {
  const builders = [nestedMultipart, nestedRfc822, nestedMixed];
  const depths = [1_000, 2_500, 5_000, 10_000];
  return Array.from({ length: BODIES }, (_, index) => builders[index % builders.length](depths[index % depths.length], `body ${index + 1}`));
}

describe('a hostile upstream serving thousands-deep nested bodies in one FETCH', { skip }, () => {
  let dovecot: DovecotServer;
  let hostile: FaultInjectingImapServer;
  let proxy: TestProxy;
  const bodies = hostileBodies();
  const clean = withAttachments({ seed: 12, text: 'a clean message' });

  before(async () => {
    dovecot = await startDovecot({ messages: { alice: [clean] } });
    hostile = await startFaultInjectingImapServer(bodies);
    proxy = await startTestProxy(
      [
        { name: 'hostile', upstream: `127.0.0.1:${hostile.port}`, protocol: 'imap', tls: 'none', upstreamTls: 'none' },
        { name: 'imaps', upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath },
      ],
      { scanner: 'pipeline', settings: { scan: { memoryBufferBytes: MEMORY_BUFFER_BYTES } } },
    );
  });

  after(async () => {
    await proxy?.close();
    await hostile?.close();
    await dovecot?.stop();
  });

  it('holds no more than the session budget, ends every body malformed, and keeps answering a clean session alongside', async () => {
    const served = bodies.reduce((sum, body) => sum + body.length, 0);
    // A clean session through the same proxy, to real Dovecot, logged in before the hostile FETCH starts.
    const imap = await RawImap.open(proxy.port('imaps'), proxy.caPem);
    await imap.run('EXAMINE INBOX');
    const client = await RawClient.connect(proxy.port('hostile'));
    await client.waitFor(/\r\n$/);
    client.write('a LOGIN x y\r\nb SELECT INBOX\r\nc FETCH 1:* (UID BODY.PEEK[])\r\n');
    let hostileDone = false;
    const hostileFetch = client.waitFor(/\r\nc OK[^\r]*\r\n$/, { timeoutMs: 240_000 }).finally(() => {
      hostileDone = true;
    });
    await client.waitFor(/\* 1 FETCH/, { timeoutMs: 60_000 });

    // Its fetches wait behind at most the few scans one session may queue (memoryLimits().scansWaiting), not behind all.
    for (let round = 0; round < 3; round++) {
      const response = await imap.run('UID FETCH 1 BODY.PEEK[]');
      assert.equal(sha256(literalAfter(response, 'BODY[]')), sha256(clean));
    }
    const cleanAnsweredDuringHostile = !hostileDone;
    await imap.run('LOGOUT');
    imap.close();

    const response = await hostileFetch;
    for (let seq = 1; seq <= BODIES; seq++) assert.ok(response.includes(`* ${seq} FETCH (UID ${seq} BODY[] {`), `response ${seq} delivered`);
    client.write('d LOGOUT\r\n');
    client.close();

    assert.ok(cleanAnsweredDuringHostile, 'the clean session was answered while the hostile FETCH was still running');
    const memory = processMemory.counters;
    assert.ok(spoolCounters.spills > 0, 'bodies went to disk');
    // A session holds its budget, plus bytes on their way to disk (it stops reading above that window) and one socket read.
    assert.ok(memory.sessionPeak <= budget.sessionBytes + budget.diskWriteWindowBytes + 64 * KiB, `a session held ${memory.sessionPeak} bytes; budget ${budget.sessionBytes}, served ${served}`);
    assert.ok(served > 4 * memory.sessionPeak, 'far more was served than ever held');

    const events = readEvents(eventsPath(proxy.dataDir), { verdict: 'malformed' });
    assert.equal(events.length, BODIES);
    for (const event of events) {
      assert.ok(
        event.detections.some((finding) => finding.name === 'MIME.Malformed' && finding.location.join(' ').includes('MIME nesting deeper than 50')),
        JSON.stringify(event.detections).slice(0, 300),
      );
    }
    await waitUntil(() => processMemory.counters.held === 0, () => `memory given back after the sessions ended: ${JSON.stringify(processMemory.counters)}`);
  });
});

