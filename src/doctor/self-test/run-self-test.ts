// The end-to-end self-test of one listener and one protocol: doctor's own loopback test upstream (two
// fixed messages), an in-process proxy with the listener's protocol and TLS modes and the user's scan
// settings and rules, but the upstream pointed at the test server and the scanning of a temporary
// data dir (its quarantine and events are thrown away), and a real client fetching both messages.
import type { Logger } from 'pino';
import { LiveConfig } from '../../config/live-config.js';
import type { Config, ListenerConfig } from '../../config/schema.js';
import { startProxy } from '../../proxy/proxy.js';
import type { BodyScanner } from '../../scan/body-scanner.js';
import type { Protocol } from '../../types/body-context.js';
import { fetchWithImapflow } from './fetch-imap.js';
import { fetchWithPop3 } from './fetch-pop3.js';
import type { SelfTestPki } from './self-test-ca.js';
import { cleanChanged, eicarNotStripped, SELF_TEST_MAILBOX } from './test-messages.js';
import { startTestImapServer } from './test-imap-server.js';
import { startTestPop3Server } from './test-pop3-server.js';

export interface SelfTestServices {
  pki: SelfTestPki;
  /** The user's configuration as the self-test scans with it (see selfTestConfig). */
  config: Config;
  scanner: BodyScanner;
  log: Logger;
}

export interface SelfTestResult {
  /** Problems found; empty when the EICAR message came out stripped and the clean one byte-identical. */
  problems: string[];
  client: string;
}

/** The user's settings and rules without exclusions, which would let the self-test's loopback client through unscanned. */
export function selfTestConfig(userConfig: Config): Config {
  return { ...userConfig, exclusions: { applications: [], ips: [] }, listeners: [] };
}

export async function runSelfTest(listener: ListenerConfig, protocol: Protocol, services: SelfTestServices): Promise<SelfTestResult> {
  const { pki } = services;
  const upstream = await (protocol === 'imap' ? startTestImapServer : startTestPop3Server)(listener.upstreamTls, pki.upstreamCertificate);
  try {
    const testListener = { ...listener, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, upstreamCa: pki.caPath, insecureSkipVerify: false, allowRemote: false };
    const live = new LiveConfig({ ...services.config, listeners: [testListener] });
    const proxy = await startProxy(live, { certificates: pki.certificates, scanner: services.scanner, log: services.log });
    try {
      const endpoint = { port: proxy.listeners[0].address.port, tls: listener.tls, caPem: pki.caPem };
      const client = protocol === 'imap' ? 'imapflow' : 'POP3 RETR';
      const delivered = protocol === 'imap' ? await fetchWithImapflow(endpoint) : await fetchWithPop3(endpoint, SELF_TEST_MAILBOX.length);
      if (delivered.length !== SELF_TEST_MAILBOX.length) return { client, problems: [`${delivered.length} of ${SELF_TEST_MAILBOX.length} messages arrived`] };
      const problems = [eicarNotStripped(delivered[0]), cleanChanged(delivered[1])].filter((problem): problem is string => problem !== undefined);
      return { client, problems };
    } finally {
      await proxy.close();
    }
  } finally {
    await upstream.close();
  }
}
