// What the mailbox scan tests share: a real Dovecot account seeded with several folders, the server's
// view of every message (UID, flags, INTERNALDATE, bytes) taken with imapflow, and the CLI run
// against it. Every user's password is PASSWORD, handed to the CLI through INBOXGUARD_PASSWORD.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { stringify } from 'yaml';
import type { DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { EICAR_STRING } from '../../src/scan/engines/builtin/index.js';
import { readEvents, type ScanEvent } from '../../src/store/events.js';
import { runCli, startCli, type CliResult } from './cli.js';
import { withAttachments } from './messages.js';

export const PASSWORD = 'secret';

export function infectedMessage(seed: number, subject = `infected ${seed}`): Buffer {
  return withAttachments({ seed, subject, attachments: [{ filename: `invoice-${seed}.com`, contentType: 'application/octet-stream', content: Buffer.from(EICAR_STRING) }] });
}

export interface StoredMessage {
  uid: number;
  flags: string[];
  internalDate: string;
  size: number;
  sha256: string;
  messageId?: string;
}

export type ServerView = Record<string, StoredMessage[]>;

async function withClient<T>(server: DovecotServer, user: string, use: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({ host: server.host, port: server.ports.imaps, secure: true, tls: { ca: server.caPem }, auth: { user, pass: PASSWORD }, logger: false, disableAutoIdle: true });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Every folder's messages as the server reports them, read-only (EXAMINE, BODY.PEEK[]). */
export function serverView(server: DovecotServer, user: string): Promise<ServerView> {
  return withClient(server, user, async (client) => {
    const view: ServerView = {};
    for (const folder of await client.list()) {
      if (folder.flags.has('\\Noselect')) continue;
      const lock = await client.getMailboxLock(folder.path, { readOnly: true });
      try {
        const messages: StoredMessage[] = [];
        if ((client.mailbox || undefined)?.exists) {
          for await (const message of client.fetch('1:*', { uid: true, flags: true, internalDate: true, size: true, source: true, envelope: true }, { uid: true })) {
            messages.push({
              uid: message.uid,
              // \Recent belongs to the session that selected the folder first, not to the message.
              flags: [...(message.flags ?? [])].filter((flag) => flag !== '\\Recent').sort(),
              internalDate: new Date(message.internalDate ?? 0).toISOString(),
              size: message.size ?? 0,
              sha256: createHash('sha256').update(message.source ?? Buffer.alloc(0)).digest('hex'),
              messageId: message.envelope?.messageId,
            });
          }
        }
        view[folder.path] = messages.sort((a, b) => a.uid - b.uid);
      } finally {
        lock.release();
      }
    }
    return view;
  });
}

/** APPENDs messages with flags and internal dates (what a Maildir seed cannot set). */
export function appendMessages(server: DovecotServer, user: string, folder: string, messages: { content: Buffer; flags?: string[]; date?: Date }[]): Promise<void> {
  return withClient(server, user, async (client) => {
    for (const message of messages) await client.append(folder, message.content, message.flags ?? [], message.date);
  });
}

export function setFlags(server: DovecotServer, user: string, folder: string, uids: string, flags: string[]): Promise<void> {
  return withClient(server, user, async (client) => {
    const lock = await client.getMailboxLock(folder);
    try {
      await client.messageFlagsAdd(uids, flags, { uid: true });
    } finally {
      lock.release();
    }
  });
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const created: string[] = [];

/** A fresh data dir, with a config file when rules or scan settings are given; removeDataDirs() deletes them. */
export function dataDir(config?: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-mailbox-scan-'));
  created.push(dir);
  if (config) writeFileSync(join(dir, 'config.yaml'), stringify(config));
  return dir;
}

export function removeDataDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function scanArgs(server: DovecotServer, user: string, extra: string[]): string[] {
  return ['mailbox', 'scan', '--upstream', `${server.host}:${server.ports.imaps}`, '--upstream-ca', server.caPath, '--user', user, '--concurrency', '1', ...extra];
}

export function mailboxScan(server: DovecotServer, user: string, home: string, extra: string[] = [], timeoutMs = 120_000): Promise<CliResult> {
  return runCli(scanArgs(server, user, extra), home, timeoutMs);
}

export function startMailboxScan(server: DovecotServer, user: string, home: string, extra: string[] = []) {
  return startCli(scanArgs(server, user, extra), home);
}

/** The events the mailbox scan wrote for its scans (not the server-action events). */
export function scanEvents(home: string): ScanEvent[] {
  return readEvents(join(home, 'logs', 'events.jsonl')).filter((event) => event.layer === 'mailbox-scan' && !event.actions.some((action) => action.startsWith('server-')));
}

export interface JsonSummary {
  interrupted: boolean;
  exitCode: number;
  folders: { folder: string; messages: number; matched: number; scanned: number; skipped: number; tooLarge: number; errors: number; threats: number; verdicts: Record<string, number>; actions: Record<string, number>; error?: string }[];
  total: { messages: number; matched: number; scanned: number; skipped: number; threats: number; errors: number; actions: Record<string, number> };
}

export function parseSummary(result: CliResult): JsonSummary {
  try {
    return JSON.parse(result.stdout) as JsonSummary;
  } catch {
    throw new Error(`no JSON summary; code ${result.code}; stdout: ${result.stdout}; stderr: ${result.stderr}`);
  }
}
