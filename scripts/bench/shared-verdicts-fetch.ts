// Issue 18, "a fetch never waits on Redis": two `inboxguard start` processes in front of one Dovecot, in
// one run — one sharing verdicts through a Redis that is stalled (SIGSTOP: it accepts nothing and answers
// nothing), one with sharing off. Every message carries its own attachment, so each fetch makes stage 2
// (a `command` backend that answers at once) store a new verdict, which the first proxy then publishes.
// Fetches alternate between the two proxies; median and p99 per proxy, and their ratio, as JSON.
// Usage: npm run build && node --import tsx scripts/bench/shared-verdicts-fetch.ts [messages]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startDovecot } from '../test-servers/dovecot.js';
import { startRedis } from '../test-servers/redis.js';
import { LeanImapClient } from './imap-client.js';
import { startInboxguard, type InboxguardProcess } from './inboxguard-process.js';
import { zipFile } from '../../test/unit/scan/engines/samples.js';

const COUNT = Number(process.argv[2] ?? 100);
const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const ANSWER_AT_ONCE = `import json, sys\nprint(json.dumps({'verdict': 'clean'}))\n`;

function message(n: number): Buffer {
  const attachment = zipFile([{ name: `report-${n}.txt`, data: `report ${n}\n`.repeat(50) }], 'store').toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    `From: a@example.org\r\nTo: b@example.org\r\nSubject: bench ${n}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n` +
      `--b\r\nContent-Type: text/plain\r\n\r\nhello ${n}\r\n--b\r\nContent-Type: application/zip; name="a${n}.zip"\r\nContent-Transfer-Encoding: base64\r\n\r\n${attachment}\r\n--b--\r\n`,
    'latin1',
  );
}

function summary(values: number[]): { medianMs: number; p99Ms: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN) * 100) / 100;
  return { medianMs: at(0.5), p99Ms: at(0.99) };
}

const root = mkdtempSync(join(tmpdir(), 'ig-bench-share-'));
const script = join(root, 'answer.py');
writeFileSync(script, ANSWER_AT_ONCE);
const dovecot = await startDovecot({ messages: { alice: Array.from({ length: COUNT }, (_, i) => message(i + 1)) } });
const redis = await startRedis();
const upstream = `127.0.0.1:${dovecot.ports.imaps}`;
const analysis = { backends: [{ name: 'instant', type: 'command', command: ['python3', script, '{file}'] }], submit: { types: ['archive'] } };
const proxies: { name: string; proxy: InboxguardProcess; client?: LeanImapClient; ms: number[] }[] = [];
try {
  proxies.push({ name: 'redisStalled', proxy: await startInboxguard(upstream, dovecot.caPath, [], { config: stringify({ analysis: { ...analysis, share: { redis: redis.url } } }) }), ms: [] });
  proxies.push({ name: 'sharingOff', proxy: await startInboxguard(upstream, dovecot.caPath, [], { config: stringify({ analysis }) }), ms: [] });
  process.kill(redis.pid(), 'SIGSTOP');
  for (const entry of proxies) {
    entry.client = await LeanImapClient.connect({ port: entry.proxy.port, ca: entry.proxy.caPem }, 'alice', 'secret');
    await entry.client.command('SELECT INBOX');
  }
  for (let uid = 1; uid <= COUNT; uid++) {
    for (const entry of uid % 2 === 0 ? proxies : [...proxies].reverse()) {
      const started = performance.now();
      await entry.client!.command(`UID FETCH ${uid} BODY.PEEK[]`);
      entry.ms.push(performance.now() - started);
    }
  }
  // Each fetch must have made stage 2 analyse (else this measures nothing): one verdict per message in each store.
  for (const entry of proxies) {
    const stored = Number(execFileSync(process.execPath, [MAIN, 'verdicts', 'list', '--json', '--limit', String(COUNT * 2)], { env: { ...process.env, INBOXGUARD_HOME: entry.proxy.home } }).toString().match(/"sha256"/g)?.length ?? 0);
    if (stored !== COUNT) throw new Error(`${entry.name}: ${stored} verdicts stored for ${COUNT} fetches`);
  }
  const results = Object.fromEntries(proxies.map((entry) => [entry.name, summary(entry.ms)]));
  console.log(
    JSON.stringify(
      {
        benchmark: 'UID FETCH of a message whose new attachment stage 2 analyses and stores, through inboxguard; Redis stalled (SIGSTOP) vs sharing off',
        messages: COUNT,
        ...results,
        medianRatioStalledToOff: Math.round((results.redisStalled.medianMs / results.sharingOff.medianMs) * 1000) / 1000,
      },
      null,
      2,
    ),
  );
} finally {
  for (const entry of proxies) {
    entry.client?.close();
    await entry.proxy.stop();
  }
  process.kill(redis.pid(), 'SIGCONT');
  await redis.stop();
  await dovecot.stop();
  rmSync(root, { recursive: true, force: true });
}
