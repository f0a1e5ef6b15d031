// The self-test's IMAP client: imapflow, as a mail client would, fetching every message of INBOX
// (UID FETCH 1:* BODY.PEEK[]) through the proxy under test.
import { ImapFlow } from 'imapflow';
import type { TlsMode } from '../../types/tls-mode.js';
import { SELF_TEST_USER } from './test-messages.js';

export interface ProxyEndpoint {
  port: number;
  /** The listener's client-side TLS mode. */
  tls: TlsMode;
  /** The root that signs the self-test proxy's certificates. */
  caPem: string;
}

/** The SNI / certificate name the self-test clients ask the proxy for. */
export const SELF_TEST_SERVER_NAME = 'localhost';

export async function fetchWithImapflow(endpoint: ProxyEndpoint): Promise<Buffer[]> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: endpoint.port,
    secure: endpoint.tls === 'implicit',
    doSTARTTLS: endpoint.tls === 'starttls' ? true : endpoint.tls === 'none' ? false : undefined,
    servername: SELF_TEST_SERVER_NAME,
    tls: { ca: endpoint.caPem, servername: SELF_TEST_SERVER_NAME, rejectUnauthorized: true },
    auth: { user: SELF_TEST_USER.user, pass: SELF_TEST_USER.password },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: 20_000,
    greetingTimeout: 20_000,
    socketTimeout: 60_000,
  });
  let connectionError: Error | undefined;
  client.on('error', (error: Error) => (connectionError = error));
  await client.connect();
  const messages: { uid: number; source: Buffer }[] = [];
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      for await (const message of client.fetch('1:*', { uid: true, source: true }, { uid: true })) {
        if (!message.source) throw new Error(`no message source for UID ${message.uid}`);
        messages.push({ uid: message.uid, source: message.source });
      }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  if (connectionError) throw connectionError;
  return messages.sort((a, b) => a.uid - b.uid).map((message) => message.source);
}
