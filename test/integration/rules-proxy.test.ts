// Rules in the running proxy against a real Dovecot: hit counters over IMAP and POP3, kept across a
// restart and reset from the CLI; hot reload of the rules with an IDLE session open throughout.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { stringify } from 'yaml';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { walkMessage } from '../../src/mime/index.js';
import { DEFAULT_RULES } from '../../src/rules/index.js';
import { eventsPath, readEvents } from '../../src/store/events.js';
import { RuleHitStore } from '../../src/store/rule-hits.js';
import { runCli } from '../helpers/cli.js';
import { imapflowFetchAll, pythonPop } from '../helpers/clients.js';
import { mixedMailbox, withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireAll, requireCommand, requireDovecot } from '../helpers/require-servers.js';
import { EICAR } from '../unit/scan/archive/archive-builders.js';
import { waitUntil } from '../helpers/wait-until.js';

const skip = requireAll(requireDovecot(), requireCommand('python3', 'python3'));

const infected = (seed: number) =>
  withAttachments({
    seed,
    subject: `infected ${seed}`,
    attachments: [
      { filename: 'a.com', contentType: 'application/octet-stream', content: EICAR },
      { filename: 'b.com', contentType: 'application/octet-stream', content: EICAR },
    ],
  });
const clean = mixedMailbox(4, 30);
const messages = [...clean, infected(41), infected(42), infected(43)];
const INFECTED_COUNT = 3;

const countAll = { id: 'r-count-all', name: 'Count every message', level: 'filtering', conditions: [], actions: ['log'] };
const rules = { transport: [countAll, ...DEFAULT_RULES] };

const imapOptions = (proxy: TestProxy) => ({ host: '127.0.0.1', port: proxy.port('imaps'), secure: true, caPem: proxy.caPem, user: 'alice', password: 'secret' });
const popOptions = (proxy: TestProxy) => ({ host: '127.0.0.1', port: proxy.port('pop3s'), mode: 'implicit' as const, caPath: proxy.caPath, user: 'alice', password: 'secret' });

function hits(dataDir: string): Map<string, number> {
  const store = RuleHitStore.open(dataDir);
  try {
    return new Map([...store.all('transport')].map(([id, entry]) => [id, entry.hits]));
  } finally {
    store.close();
  }
}

const eicarRemoved = (source: Buffer) => walkMessage(source).parts.filter((part) => part.fileName?.endsWith('.removed.txt')).length;

describe('rules in the proxy (real Dovecot)', { skip }, () => {
  let dovecot: DovecotServer;
  const dataDir = mkdtempSync(join(tmpdir(), 'inboxguard-rules-proxy-'));
  const listeners = () => [
    { name: 'imaps', upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap' as const, upstreamCa: dovecot.caPath },
    { name: 'pop3s', upstream: `localhost:${dovecot.ports.pop3s}`, protocol: 'pop3' as const, upstreamCa: dovecot.caPath },
  ];

  before(async () => {
    dovecot = await startDovecot({ messages: { alice: messages } });
  });

  after(async () => {
    await dovecot?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts hits per message and per part over IMAP and POP3, keeps them across a restart, and resets them from the CLI', async () => {
    let proxy = await startTestProxy(listeners(), { scanner: 'pipeline', settings: { rules }, dataDir });
    try {
      const fetched = await imapflowFetchAll(imapOptions(proxy));
      assert.equal(fetched.length, messages.length);
      assert.deepEqual(fetched.slice(-INFECTED_COUNT).map((message) => eicarRemoved(message.source)), [2, 2, 2]);
      await pythonPop(popOptions(proxy));
      assert.deepEqual(Object.fromEntries(hits(dataDir)), { 'r-count-all': 2 * messages.length, 'r-default-1': 2 * 2 * INFECTED_COUNT });
    } finally {
      await proxy.close();
    }

    proxy = await startTestProxy(listeners(), { scanner: 'pipeline', settings: { rules }, dataDir });
    try {
      assert.equal(hits(dataDir).get('r-count-all'), 2 * messages.length, 'counters survive a restart');
      await imapflowFetchAll(imapOptions(proxy));
      assert.deepEqual(Object.fromEntries(hits(dataDir)), { 'r-count-all': 3 * messages.length, 'r-default-1': 3 * 2 * INFECTED_COUNT });

      const one = await runCli(['--config', proxy.configPath, 'rules', 'reset-hits', 'r-default-1'], dataDir);
      assert.equal(one.code, 0, one.stderr);
      assert.deepEqual(Object.fromEntries(hits(dataDir)), { 'r-count-all': 3 * messages.length });
      const list = await runCli(['--config', proxy.configPath, 'rules', 'list', '--json'], dataDir);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /r-count-all/);
      const all = await runCli(['--config', proxy.configPath, 'rules', 'reset-hits', '--all'], dataDir);
      assert.equal(all.code, 0, all.stderr);
      assert.equal(hits(dataDir).size, 0);
      await pythonPop(popOptions(proxy));
      assert.deepEqual(Object.fromEntries(hits(dataDir)), { 'r-count-all': messages.length, 'r-default-1': 2 * INFECTED_COUNT }, 'counting goes on after a reset');
    } finally {
      await proxy.close();
    }
  });

  it('reloads changed rules while an IDLE session stays open, and keeps them when a change is invalid', async () => {
    const proxy = await startTestProxy(listeners(), { scanner: 'pipeline' });
    const idle = new ImapFlow({ ...imapOptions(proxy), servername: 'localhost', tls: { ca: proxy.caPem, servername: 'localhost' }, auth: { user: 'alice', pass: 'secret' }, logger: false });
    let idleClosed = false;
    idle.on('close', () => (idleClosed = true));
    idle.on('error', () => undefined);
    try {
      await idle.connect();
      await idle.mailboxOpen('INBOX');
      void idle.idle();

      const before = await imapflowFetchAll(imapOptions(proxy));
      assert.equal(eicarRemoved(before.at(-1)?.source ?? Buffer.alloc(0)), 2, 'the defaults strip EICAR');

      const trusted = { name: 'Trust the archive user', level: 'filtering', conditions: [{ field: 'user', op: 'is', value: 'alice' }], actions: ['skip-scan'] };
      const added = await runCli(['--config', proxy.configPath, 'rules', 'add', '--file', writeRuleFile(trusted), '--position', '1'], proxy.dataDir);
      assert.equal(added.code, 0, added.stderr);
      await waitUntil(() => proxy.live.current.rules.transport.length === DEFAULT_RULES.length + 1, 'the proxy reloads the added rule');
      const skipped = await imapflowFetchAll(imapOptions(proxy));
      const last = skipped.at(-1)?.source ?? Buffer.alloc(0);
      assert.equal(eicarRemoved(last), 0, 'the new skip-scan rule is in force for the next fetch');
      assert.ok(last.equals(messages.at(-1)!), 'delivered byte for byte: a not-scanned header would change the size');
      const notScanned = readEvents(eventsPath(proxy.dataDir)).filter((event) => event.verdict === 'not-scanned');
      assert.deepEqual(notScanned.at(-1)?.decorationDropped?.dropped, ['header X-InboxGuard'], 'the event records the marking');

      const goodText = readFileSync(proxy.configPath, 'utf8');
      writeFileSync(proxy.configPath, goodText.replace(/op: is\n(\s+)value: alice/, 'op: matches\n$1value: "(alice"'));
      await waitUntil(async () => /configuration change rejected/.test(await proxy.logText()), 'the invalid change is logged');
      assert.match(await proxy.logText(), /bad regular expression/);
      const still = await imapflowFetchAll(imapOptions(proxy));
      assert.equal(eicarRemoved(still.at(-1)?.source ?? Buffer.alloc(0)), 0, 'the old rules stay in force');

      await idle.noop();
      assert.equal(idleClosed, false, 'the IDLE session stayed open throughout');
      assert.equal(idle.usable, true);
    } finally {
      await idle.logout().catch(() => idle.close());
      await proxy.close();
    }
  });
});

function writeRuleFile(rule: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-rule-file-'));
  const path = join(dir, 'rule.yaml');
  writeFileSync(path, stringify(rule));
  return path;
}

