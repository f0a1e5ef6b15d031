// What the per-session benches (connection-cost.ts, session-syscalls.ts) measure against: a Dovecot with
// five small messages, and inboxguard in front of it as this build, the pass-through (`enabled: false`:
// no protocol engine, no scanning) and, with `baseline` (OTHER/dist/cli/main.js), another build.
import { startDovecot, type DovecotServer } from '../test-servers/dovecot.js';
import { LeanImapClient } from './imap-client.js';
import { startInboxguard, type InboxguardProcess } from './inboxguard-process.js';

export interface ShortSessionProxies {
  dovecot: DovecotServer;
  /** thisBuild, scanningOff and (with a baseline) baselineBuild. */
  guards: Record<string, InboxguardProcess>;
  stop(): Promise<void>;
}

export async function startShortSessionProxies(baseline: string): Promise<ShortSessionProxies> {
  const messages = Array.from({ length: 5 }, (_, index) => Buffer.from(`From: a@example.com\r\nSubject: small ${index}\r\n\r\n${'text '.repeat(40)}\r\n`));
  const dovecot = await startDovecot({ messages: { alice: messages } });
  // A host name, as users configure it: its resolution is part of each connection.
  const upstream = `localhost:${dovecot.ports.imaps}`;
  const guards: Record<string, InboxguardProcess> = {};
  const stop = async (): Promise<void> => {
    for (const guard of Object.values(guards)) await guard.stop();
    await dovecot.stop();
  };
  try {
    guards.thisBuild = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap']);
    guards.scanningOff = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { config: 'enabled: false\n' });
    if (baseline) guards.baselineBuild = await startInboxguard(upstream, dovecot.caPath, ['--protocol', 'imap'], { main: baseline });
  } catch (error) {
    await stop();
    throw error;
  }
  return { dovecot, guards, stop };
}

/** One short IMAPS session: TLS, LOGIN, SELECT INBOX, LOGOUT. */
export async function shortSession(guard: InboxguardProcess): Promise<void> {
  const client = await LeanImapClient.connect({ port: guard.port, ca: guard.caPem }, 'alice', 'secret');
  await client.command('LOGOUT');
  client.close();
}
