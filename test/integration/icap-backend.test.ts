// The ICAP analysis backend against the real c-icap with its virus_scan service backed by a real
// clamd (both started by scripts/test-servers/c-icap.ts), plus the faults a real server will not
// produce on demand: nothing listening, and a server that accepts and never answers.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { C_ICAP_PACKAGES, cIcapModulesDir, startCIcap, type CIcapServer } from '../../scripts/test-servers/c-icap.js';
import { CLAMD_PACKAGES } from '../../scripts/test-servers/clamd.js';
import { freePorts } from '../../scripts/test-servers/free-ports.js';
import { EICAR_STRING } from '../../src/scan/engines/builtin/eicar.js';
import { CONTENT_MODIFIED, createIcapBackend } from '../../src/scan/analysis/icap/index.js';
import { startFaultInjectingSilentIcapServer } from '../helpers/fault-injecting-silent-icap-server.js';
import { requireAll, requireCommand, requireFile } from '../helpers/require-servers.js';

const skip = requireAll(
  requireCommand('c-icap', C_ICAP_PACKAGES),
  requireFile(join(cIcapModulesDir() ?? '/usr/lib/c_icap', 'virus_scan.so'), 'libc-icap-mod-virus-scan'),
  requireCommand('clamd', CLAMD_PACKAGES),
);
const EICAR = Buffer.from(EICAR_STRING, 'latin1');
/** Bigger than c-icap's Preview (1024), so the rest goes after 100 Continue. */
const EICAR_INSIDE = Buffer.concat([randomBytes(3000), EICAR, randomBytes(2000)]);
const CLEAN_BIG = randomBytes(200_000);
const CLEAN_SMALL = Buffer.from('quarterly figures, nothing to see here\n'.repeat(5));

function loggedRespmods(icap: CIcapServer): string[] {
  return readFileSync(icap.accessLogPath, 'utf8').split('\n').filter((line) => line.includes(' RESPMOD '));
}

/**
 * The status c-icap logged for the RESPMOD after the first `before` ones (access log line: "..., IP IP
 * RESPMOD SERVICE STATUS"). c-icap writes the line after it has answered, so wait for it to appear.
 */
async function loggedRespmodStatus(icap: CIcapServer, before: number): Promise<string | undefined> {
  for (let attempt = 0; attempt < 500 && loggedRespmods(icap).length <= before; attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
  return loggedRespmods(icap)[before]?.split(' ').at(-1);
}

describe('ICAP backend with the real c-icap + clamd', { skip }, () => {
  let icap: CIcapServer;
  before(async () => {
    icap = await startCIcap();
  });
  after(async () => {
    await icap?.stop();
  });

  it('OPTIONS: RESPMOD offered, a preview size, an ISTag, Allow: 204', async () => {
    const options = await createIcapBackend({ url: icap.url }).options();
    assert.ok(options.methods.includes('RESPMOD'));
    assert.equal(typeof options.preview, 'number');
    assert.ok((options.preview ?? 0) < EICAR_INSIDE.length, 'the test part is larger than the preview');
    assert.ok(options.istag);
    assert.equal(options.allow204, true);
  });

  for (const preview of ['server', 'off'] as const) {
    describe(`preview ${preview === 'server' ? "as the server's OPTIONS asks" : 'off'}`, () => {
      it('EICAR alone and EICAR inside a larger file are found, with clamd\'s name and the ISTag', async () => {
        const backend = createIcapBackend({ url: icap.url, preview, name: 'icap:test' });
        const { istag } = await backend.options();
        for (const [label, content] of [['alone', EICAR], ['inside', EICAR_INSIDE]] as const) {
          const before = loggedRespmods(icap).length;
          const result = await backend.analyse(content, { name: 'invoice.exe' });
          assert.deepEqual(result, { verdict: 'malicious', name: 'Test.EICAR.Body.UNOFFICIAL', backend: 'icap:test', istag }, label);
          assert.equal(await loggedRespmodStatus(icap, before), '200', label);
        }
      });

      it('clean parts are answered with 204 No Content', async () => {
        const backend = createIcapBackend({ url: icap.url, preview });
        for (const [label, content] of [['small', CLEAN_SMALL], ['200 kB', CLEAN_BIG]] as const) {
          const before = loggedRespmods(icap).length;
          const result = await backend.analyse(content, { name: 'notes.txt' });
          assert.equal(result.verdict, 'clean', `${label}: ${JSON.stringify(result)}`);
          assert.equal(await loggedRespmodStatus(icap, before), '204', label);
        }
      });

      it('an empty part is clean (c-icap answers a zero-byte preview with an unchanged 200 echo)', async () => {
        const backend = createIcapBackend({ url: icap.url, preview });
        await backend.options();
        const before = loggedRespmods(icap).length;
        const result = await backend.analyse(Buffer.alloc(0), { name: 'empty.txt' });
        assert.equal(result.verdict, 'clean', JSON.stringify(result));
        assert.equal(await loggedRespmodStatus(icap, before), preview === 'server' ? '200' : '204');
      });
    });
  }

  it('a small forced preview also sends the rest after 100 Continue', async () => {
    const backend = createIcapBackend({ url: icap.url, preview: 16 });
    assert.equal((await backend.analyse(EICAR_INSIDE, { name: 'x.bin' })).verdict, 'malicious');
    assert.equal((await backend.analyse(CLEAN_BIG, { name: 'y.bin' })).verdict, 'clean');
  });

  it("virus_scan's streaming mode cuts an infected body short without naming it: suspicious, never clean", async () => {
    // In its default mode c-icap starts the 200 answer (no threat header) before the scan ends, and
    // on a virus ends the body early. The unchanged echo of a clean part is clean.
    const backend = createIcapBackend({ url: icap.streamingUrl, preview: 'off' });
    const infected = Buffer.concat([randomBytes(100_000), EICAR, randomBytes(100_000)]);
    assert.deepEqual(
      { ...(await backend.analyse(infected, { name: 'x.bin' })), istag: undefined },
      { verdict: 'suspicious', name: CONTENT_MODIFIED, backend: 'icap', istag: undefined },
    );
    const before = loggedRespmods(icap).length;
    assert.equal((await backend.analyse(CLEAN_BIG, { name: 'y.bin' })).verdict, 'clean');
    assert.equal(await loggedRespmodStatus(icap, before), '200', 'the clean part came back as an unchanged 200 echo');
  });

  it('an unknown service is an error verdict naming c-icap\'s 404', async () => {
    const backend = createIcapBackend({ url: icap.url.replace(/avscan$/, 'no_such_service'), preview: 'off' });
    const result = await backend.analyse(EICAR, { name: 'x' });
    assert.equal(result.verdict, 'error');
    assert.match(result.detail ?? '', /404/);
  });

  it('several analyses at once, within maxConcurrent, all get their own verdict', async () => {
    const backend = createIcapBackend({ url: icap.url, maxConcurrent: 2 });
    const contents = Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? EICAR_INSIDE : CLEAN_BIG));
    const results = await Promise.all(contents.map((content, i) => backend.analyse(content, { name: `part-${i}` })));
    assert.deepEqual(results.map((r) => r.verdict), ['malicious', 'clean', 'malicious', 'clean', 'malicious', 'clean']);
    assert.equal(backend.load.peak, 2);
  });
});

describe('ICAP backend when the server is down or hangs', () => {
  it('nothing listening: an error verdict saying the connection was refused', async () => {
    const [port] = await freePorts(1);
    for (const preview of ['server', 'off'] as const) {
      const result = await createIcapBackend({ url: `icap://127.0.0.1:${port}/srv_clamav`, preview, timeoutMs: 5000 }).analyse(EICAR, { name: 'x' });
      assert.equal(result.verdict, 'error', preview);
      assert.match(result.detail ?? '', /ECONNREFUSED/, preview);
    }
  });

  it('a server that accepts and never answers: an error verdict at the timeout, for OPTIONS and for RESPMOD', async () => {
    const silent = await startFaultInjectingSilentIcapServer();
    try {
      for (const preview of ['server', 'off'] as const) {
        const backend = createIcapBackend({ url: `icap://127.0.0.1:${silent.port}/srv_clamav`, preview, timeoutMs: 300 });
        const result = await backend.analyse(CLEAN_BIG, { name: 'x' });
        assert.deepEqual(result, { verdict: 'error', backend: 'icap', detail: `ICAP server at 127.0.0.1:${silent.port} did not answer within 300 ms` }, preview);
      }
      assert.equal(silent.accepted, 2);
      assert.ok(silent.bytesReceived > CLEAN_BIG.length, 'the RESPMOD without preview was sent whole');
    } finally {
      await silent.close();
    }
  });

  it('an aborted analysis ends at once, rejecting with the signal\'s reason, and a waiting one leaves the queue', async () => {
    const silent = await startFaultInjectingSilentIcapServer();
    try {
      const backend = createIcapBackend({ url: `icap://127.0.0.1:${silent.port}/srv_clamav`, preview: 'off', timeoutMs: 60_000, maxConcurrent: 1 });
      const first = new AbortController();
      const second = new AbortController();
      const running = backend.analyse(EICAR, { name: 'a', signal: first.signal });
      const waiting = backend.analyse(EICAR, { name: 'b', signal: second.signal });
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual({ active: backend.load.active, waiting: backend.load.waiting }, { active: 1, waiting: 1 });
      second.abort(new Error('gave up waiting'));
      await assert.rejects(waiting, /gave up waiting/);
      first.abort(new Error('stopped'));
      await assert.rejects(running, /stopped/);
      assert.deepEqual({ active: backend.load.active, waiting: backend.load.waiting }, { active: 0, waiting: 0 });
    } finally {
      await silent.close();
    }
  });
});
