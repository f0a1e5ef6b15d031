// The clamd engine against a real clamd with the shipped test signatures.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLAMAV_TESTFILES_DIR, CLAMAV_TESTFILES_PACKAGE, CLAMD_PACKAGES, startClamd, type ClamdServer } from '../../scripts/test-servers/clamd.js';
import { freePorts } from '../../scripts/test-servers/free-ports.js';
import { EICAR_STRING } from '../../src/scan/engines/builtin/eicar.js';
import { ClamdError, ClamdTimeoutError, createClamdEngine, SIZE_LIMIT_FINDING, type ClamdAddress } from '../../src/scan/engines/clamd/index.js';
import type { ContentInfo } from '../../src/scan/types.js';
import { requireCommand, requireFile } from '../helpers/require-servers.js';

const skip = requireCommand('clamd', CLAMD_PACKAGES);
const EICAR = Buffer.from(EICAR_STRING, 'latin1');
const INFO: ContentInfo = { fileName: 'attachment.bin', location: [], insideArchive: false };
const MB = 1024 * 1024;

/** A TCP server that accepts connections and then does what `behave` says (nothing, by default). */
async function fakeServer(behave: (socket: Socket) => void = () => undefined): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    behave(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('clamd engine with a real clamd', { skip }, () => {
  let clamd: ClamdServer;
  let smallLimit: ClamdServer;
  let addresses: Array<[string, ClamdAddress]>;

  before(async () => {
    [clamd, smallLimit] = await Promise.all([startClamd(), startClamd({ config: { StreamMaxLength: '1M' } })]);
    addresses = [
      ['TCP', { host: clamd.host, port: clamd.port }],
      ['Unix socket', { socket: clamd.socketPath }],
    ];
  });
  after(async () => {
    await Promise.all([clamd?.stop(), smallLimit?.stop()]);
  });

  it('reports EICAR with the names clamd gives custom signatures, over TCP and the Unix socket', async () => {
    for (const [label, address] of addresses) {
      const findings = await createClamdEngine({ address }).scan(EICAR, INFO);
      assert.equal(findings.length, 1, label);
      assert.match(findings[0].name, /^Test\.EICAR\.[\w-]+\.UNOFFICIAL$/, label);
      assert.deepEqual({ ...findings[0], name: '' }, { engine: 'clamd', name: '', kind: 'signature', location: ['attachment.bin'] }, label);
    }
  });

  it('finds the EICAR string inside a larger file and in every chunk position', async () => {
    const engine = createClamdEngine({ address: addresses[1][1], chunkBytes: 1000 });
    for (const offset of [0, 990, 1000, 5_000]) {
      const content = Buffer.concat([randomBytes(offset), EICAR, randomBytes(3000)]);
      assert.deepEqual((await engine.scan(content, INFO)).map((f) => f.name), ['Test.EICAR.Body.UNOFFICIAL'], `offset ${offset}`);
    }
  });

  it('clean data, including an empty file, has no findings', async () => {
    for (const [label, address] of addresses) {
      const engine = createClamdEngine({ address });
      assert.deepEqual(await engine.scan(randomBytes(200_000), INFO), [], label);
      assert.deepEqual(await engine.scan(Buffer.alloc(0), INFO), [], label);
    }
  });

  it('detects the ClamAV test program clam.exe by its MD5', { skip: requireFile(CLAMAV_TESTFILES_DIR, CLAMAV_TESTFILES_PACKAGE) }, async () => {
    const content = readFileSync(join(CLAMAV_TESTFILES_DIR, 'clam.exe'));
    const findings = await createClamdEngine({ address: addresses[0][1] }).scan(content, INFO);
    assert.deepEqual(
      findings.map((f) => f.name),
      ['Test.ClamAV-Test-File.MD5.UNOFFICIAL'],
    );
  });

  it('a stream over StreamMaxLength is a limit finding, never clean (repeated: clamd closes mid-stream)', async () => {
    for (const address of [{ host: smallLimit.host, port: smallLimit.port }, { socket: smallLimit.socketPath }]) {
      const engine = createClamdEngine({ address });
      for (let i = 0; i < 15; i++) {
        const findings = await engine.scan(Buffer.alloc(3 * MB + i * 4097, 0x41), INFO);
        assert.deepEqual(findings, [{ engine: 'clamd', name: SIZE_LIMIT_FINDING, kind: 'limit', location: ['attachment.bin'] }]);
      }
      assert.deepEqual(await engine.scan(Buffer.alloc(MB, 0x41), INFO), [], 'exactly StreamMaxLength still fits');
    }
  });

  it('with streamMaxLength set, a larger file is not sent at all', async () => {
    const [unusedPort] = await freePorts(1);
    const engine = createClamdEngine({ address: { host: '127.0.0.1', port: unusedPort }, streamMaxLength: smallLimit.streamMaxLength });
    assert.equal((await engine.scan(Buffer.alloc(smallLimit.streamMaxLength + 1), INFO))[0].kind, 'limit');
    await assert.rejects(engine.scan(Buffer.alloc(10), INFO), ClamdError);
  });

  it('answers PING and VERSION', async () => {
    for (const [, address] of addresses) {
      const engine = createClamdEngine({ address });
      await engine.ping();
      assert.match(await engine.version(), /^ClamAV \d+\.\d+/);
    }
  });

  it('keeps at most maxConcurrent scans in flight, and all of them get their answer', async () => {
    for (const maxConcurrent of [1, 2, 4]) {
      const engine = createClamdEngine({ address: addresses[1][1], maxConcurrent });
      const contents = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? Buffer.concat([randomBytes(500_000), EICAR]) : randomBytes(500_000)));
      const results = await Promise.all(contents.map((content) => engine.scan(content, INFO)));
      assert.deepEqual(
        results.map((findings) => findings.length),
        contents.map((_, i) => (i % 3 === 0 ? 1 : 0)),
      );
      assert.equal(engine.load.peak, maxConcurrent);
      assert.deepEqual({ active: engine.load.active, waiting: engine.load.waiting }, { active: 0, waiting: 0 });
    }
  });

  it('the default limit is 4 concurrent scans', async () => {
    const engine = createClamdEngine({ address: addresses[1][1] });
    await Promise.all(Array.from({ length: 10 }, () => engine.scan(randomBytes(300_000), INFO)));
    assert.equal(engine.load.peak, 4);
  });
});

describe('clamd engine failures', () => {
  it('a clamd that never answers times out (ClamdTimeoutError), and frees its turn', async () => {
    const silent = await fakeServer();
    try {
      const engine = createClamdEngine({ address: { host: '127.0.0.1', port: silent.port }, timeoutMs: 150, maxConcurrent: 1 });
      // Both at once with one slot: the second can only time out if the first gave its turn back.
      const both = await Promise.allSettled([engine.scan(Buffer.from('hello'), INFO), engine.scan(Buffer.from('hello'), INFO)]);
      for (const outcome of both) assert.ok(outcome.status === 'rejected' && outcome.reason instanceof ClamdTimeoutError, String(outcome.status));
      assert.deepEqual(engine.load, { active: 0, waiting: 0, peak: 1 });
      await assert.rejects(engine.ping(), /did not answer within 150 ms/);
    } finally {
      await silent.close();
    }
  });

  it('nothing listening is an error naming the address', async () => {
    const [port] = await freePorts(1);
    const engine = createClamdEngine({ address: { host: '127.0.0.1', port } });
    await assert.rejects(engine.scan(Buffer.from('hello'), INFO), new RegExp(`clamd at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    await assert.rejects(engine.ping(), ClamdError);
    await assert.rejects(createClamdEngine({ address: { socket: '/nonexistent/clamd.sock' } }).ping(), /unix:\/nonexistent\/clamd\.sock/);
  });

  it('an ERROR reply or an unexpected reply throws instead of passing the file as clean', async () => {
    for (const reply of ["stream: Can't create temporary file ERROR\0", 'HELLO\0', 'stream: OK-ish\0']) {
      const server = await fakeServer((socket) => socket.once('data', () => socket.end(reply)));
      try {
        await assert.rejects(createClamdEngine({ address: { host: '127.0.0.1', port: server.port } }).scan(Buffer.from('x'), INFO), ClamdError, reply);
      } finally {
        await server.close();
      }
    }
  });

  it('a connection dropped without a reply is an error when the size is not the reason', async () => {
    const server = await fakeServer((socket) => socket.once('data', () => socket.destroy()));
    try {
      await assert.rejects(
        createClamdEngine({ address: { host: '127.0.0.1', port: server.port }, timeoutMs: 500 }).scan(randomBytes(10_000), INFO),
        /closed the connection without a reply/,
      );
    } finally {
      await server.close();
    }
  });
});
