import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { processMemory } from '../../src/protocol/memory-budget.js';
import { spoolCounters } from '../../src/proxy/body-spool.js';
import { startFakePop3Server } from '../helpers/fake-pop3-server.js';
import { startTestProxy } from '../helpers/proxy.js';
import { RawClient } from '../helpers/raw-client.js';

const CRLF = '\r\n';
const MiB = 1024 * 1024;

describe('a session that ends while its body is being spilled', () => {
  it('a fault-injecting POP3 server sends a 20 MiB body line and closes, again and again: no crash, no leftover file, memory given back', async () => {
    const line = Buffer.alloc(20 * MiB, 'x');
    // The fuzzing case from the issue: the spool is still writing when the session is torn down.
    const server = await startFakePop3Server((socket) => {
      socket.write(`+OK 20971520 octets${CRLF}`);
      socket.end(line);
    });
    const proxy = await startTestProxy([{ name: 'pop3', upstream: `127.0.0.1:${server.port}`, protocol: 'pop3', tls: 'none', upstreamTls: 'none' }], {
      scanner: 'pipeline',
      settings: { scan: { memoryBufferBytes: 1 * MiB } },
    });
    const spoolRoot = mkdtempSync(join(tmpdir(), 'inboxguard-spool-root-'));
    const originalTmpdir = process.env.TMPDIR;
    process.env.TMPDIR = spoolRoot;
    const spillsBefore = spoolCounters.spills;
    try {
      for (let round = 0; round < 8; round++) {
        const client = await RawClient.connect(proxy.port('pop3'));
        await client.waitFor(/^\+OK/);
        client.write(`USER a${CRLF}PASS b${CRLF}RETR 1${CRLF}`);
        const text = await client.waitForEnd();
        assert.doesNotMatch(text, /xxxxxxxxxx/, 'a body cut off by the server is not handed on as a message');
      }
      assert.ok(spoolCounters.spills - spillsBefore >= 8, 'every round spilled to disk');
      // Still serving: a new session gets its greeting.
      const client = await RawClient.connect(proxy.port('pop3'));
      await client.waitFor(/^\+OK fake POP3 server ready/);
      client.close();
      // Only the spools' own directories: the scan worker that RETR starts (from source, through tsx) puts its compile cache in TMPDIR too.
      const spoolDirs = () => readdirSync(spoolRoot).filter((name) => name.startsWith('inboxguard-spool-'));
      for (let attempt = 0; attempt < 100 && (spoolDirs().length > 0 || processMemory.counters.held > 0); attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(spoolDirs(), [], 'every spool directory was removed');
      assert.equal(processMemory.counters.held, 0, 'every byte was given back');
    } finally {
      if (originalTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = originalTmpdir;
      await proxy.close();
      await server.close();
      rmSync(spoolRoot, { recursive: true, force: true });
    }
  });
});
