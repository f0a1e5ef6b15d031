// Issues 14 and 18 end to end, with real `inboxguard start` processes, a real Dovecot, a real Redis and
// a `command` analysis backend that is a real program (a python3 script) which sleeps, then calls any
// part carrying a marker malicious:
// - proxy A releases a message at analysis.maxWaitSeconds; its verdict lands later and is shared;
// - proxy B, whose own analysis of the same attachment is still running, takes the shared verdict: it
//   moves the message its idling client had received into the quarantine folder (the client sees the
//   EXPUNGE) and blocks the attachment in another message from then on;
// - proxy C, started after the verdict, catches up from the stream and blocks it too.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { connectImapflow } from '../helpers/clients.js';
import { stringify } from 'yaml';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { freePorts } from '../../scripts/test-servers/free-ports.js';
import { REDIS_PACKAGES, startRedis, type RedisServer } from '../../scripts/test-servers/redis.js';
import { eventsPath, readEvents } from '../../src/store/events.js';
import { startCli } from '../helpers/cli.js';
import { withAttachments } from '../helpers/messages.js';
import { requireAll, requireCommand, requireDovecot } from '../helpers/require-servers.js';
import { giveTestCa } from '../helpers/inboxguard-ca.js';
import { zipFile } from '../unit/scan/engines/samples.js';

const skip = requireAll(requireDovecot(), requireCommand('redis-server', REDIS_PACKAGES), requireCommand('python3', 'python3'));
const FOLDER = 'InboxGuard Quarantine';

const SANDBOX = `#!/usr/bin/env python3
import json, sys, time
delay, path = float(sys.argv[1]), sys.argv[2]
data = open(path, 'rb').read()
time.sleep(delay)
if b'SANDBOX-MALICIOUS' in data:
    print(json.dumps({'verdict': 'malicious', 'name': 'Sandbox.Shared.Test'}))
    sys.exit(1)
print(json.dumps({'verdict': 'clean'}))
`;

const BAD_ZIP = zipFile([{ name: 'invoice.txt', data: 'pay now\nSANDBOX-MALICIOUS\n' }], 'store');
const message = (seed: number, subject: string): Buffer =>
  withAttachments({ seed, subject, attachments: [{ filename: 'invoice.zip', contentType: 'application/zip', content: BAD_ZIP }] });

interface Proxy {
  dataDir: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a late verdict shared through Redis (real inboxguard processes, Dovecot, Redis)', { skip, timeout: 240_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'ig-shared-late-'));
  const sandbox = join(root, 'sandbox.py');
  let dovecot: DovecotServer;
  let redis: RedisServer;
  const proxies: Proxy[] = [];
  const clients: ImapFlow[] = [];

  async function startProxy(name: string, sandboxDelaySeconds: number, redisUrl = redis.url): Promise<Proxy> {
    const dataDir = join(root, name);
    mkdirSync(dataDir, { recursive: true });
    await giveTestCa(dataDir);
    const [port] = await freePorts(1);
    writeFileSync(
      join(dataDir, 'config.yaml'),
      stringify({
        listeners: [{ name, listen: `127.0.0.1:${port}`, protocol: 'imap', upstream: `127.0.0.1:${dovecot.ports.imaps}`, upstreamCa: dovecot.caPath }],
        imap: { keepaliveSeconds: 1 },
        analysis: {
          backends: [{ name: 'sandbox', type: 'command', command: ['python3', sandbox, String(sandboxDelaySeconds), '{file}'], timeoutSeconds: 120 }],
          maxWaitSeconds: 1,
          onTimeout: 'deliver',
          share: { redis: redisUrl },
        },
      }),
    );
    const child = startCli(['start'], dataDir);
    let output = '';
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no start banner: ${output}`)), 60_000);
      const collect = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        if (output.includes('Stop with Ctrl-C')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', collect);
      child.stderr?.on('data', collect);
      void exited.then(() => reject(new Error(`${name} exited: ${output}`)));
    });
    const proxy = { dataDir, port, child, stop: async () => void (child.kill('SIGTERM'), await exited) };
    proxies.push(proxy);
    return proxy;
  }

  async function connect(proxy: Proxy): Promise<ImapFlow> {
    const client = await connectImapflow(proxy.port, readFileSync(join(proxy.dataDir, 'certs', 'ca.pem'), 'utf8'));
    clients.push(client);
    return client;
  }

  async function fetchSource(client: ImapFlow, uid: number): Promise<string> {
    const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
    assert.ok(message && message.source, `message ${uid}`);
    return message.source.toString('latin1');
  }

  const carriesZip = (source: string): boolean => source.includes(BAD_ZIP.subarray(0, 30).toString('base64').slice(0, 24));

  before(async () => {
    writeFileSync(sandbox, SANDBOX);
    redis = await startRedis();
    dovecot = await startDovecot({ messages: { alice: [message(1, 'first, through A'), message(2, 'second, later through B and C'), message(3, 'third, received through B')] } });
  });

  after(async () => {
    for (const client of clients) await client.logout().catch(() => client.close());
    for (const proxy of proxies) await proxy.stop().catch(() => undefined);
    await dovecot?.stop();
    await redis?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('B moves the message it released and blocks the attachment elsewhere; C catches up from the stream', async () => {
    // A's sandbox answers after 3 s; B's would take a minute, so only A's verdict can reach B in time.
    const a = await startProxy('a', 3);
    const b = await startProxy('b', 60);

    const onB = await connect(b);
    const expunged: number[] = [];
    onB.on('expunge', (event: { seq: number }) => expunged.push(event.seq));
    await onB.mailboxOpen('INBOX');
    assert.ok(carriesZip(await fetchSource(onB, 3)), 'B released message 3 unchanged at the maximum wait');
    const idling = onB.idle();

    const onA = await connect(a);
    await onA.mailboxOpen('INBOX');
    assert.ok(carriesZip(await fetchSource(onA, 1)), 'A released message 1 unchanged at the maximum wait');
    const late = await until('A\'s late verdict', () => readEvents(eventsPath(a.dataDir)).find((event) => event.verdict === 'late-verdict' && event.detections.length > 0), 30_000);
    assert.equal(late.detections[0]?.name, 'Sandbox.Shared.Test');

    // Within 5 s of A's verdict, B has it: its idling client sees message 3 leave INBOX.
    await until('the EXPUNGE on B\'s idling client', () => expunged.length > 0, 5_000);
    assert.deepEqual(expunged, [3]);
    const quarantined = await dovecot.doveadm(['fetch', '-u', 'alice', 'hdr.subject', 'mailbox', FOLDER, 'all']);
    assert.match(quarantined, /third, received through B/);
    // A moves its own released message too, in the next session of alice through A (this one, at its next command).
    await onA.noop();
    await until('message 1 in the quarantine folder', async () => /first, through A/.test(await dovecot.doveadm(['fetch', '-u', 'alice', 'hdr.subject', 'mailbox', FOLDER, 'all'])), 5_000);

    // B blocks the same attachment in another message from now on, without analysing it again.
    const fromB = await fetchSource(onB, 2);
    await idling.catch(() => undefined);
    assert.ok(!carriesZip(fromB), 'B removed the attachment A found malicious');
    assert.match(fromB, /invoice\.zip/);

    // C starts after the verdict and catches up from the stream before its first fetch.
    const c = await startProxy('c', 60);
    const onC = await connect(c);
    await onC.mailboxOpen('INBOX');
    const fromC = await until('C to block message 2', async () => {
      const source = await fetchSource(onC, 2);
      return carriesZip(source) ? false : source;
    }, 10_000);
    assert.match(fromC, /invoice\.zip/);
  });

  it('with Redis unreachable at start-up the proxy starts, says so in one line, and scans', async () => {
    const [closed] = await freePorts(1);
    const d = await startProxy('d', 0, `redis://127.0.0.1:${closed}/0`);
    const onD = await connect(d);
    await onD.mailboxOpen('INBOX');
    // Its own analysis (answering at once) still works, and so does the verdict store it shares nothing from.
    assert.ok(!carriesZip(await fetchSource(onD, 2)), 'the attachment is still removed');
    const lines = readFileSync(join(d.dataDir, 'logs', 'inboxguard.log'), 'utf8').split('\n').filter((line) => /verdict sharing/i.test(line) && /down|unreachable|not reachable/i.test(line));
    assert.equal(lines.length, 1, lines.join('\n'));
  });
});
