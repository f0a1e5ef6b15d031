// The end-to-end self-test per listener (per protocol: both for protocol auto): a message carrying
// EICAR must come out of the listener's protocol and TLS modes stripped, a clean one byte-identical.
// One throwaway PKI and one scan setup serve every listener. It scans in this thread: the scan-workers check
// already proved that worker threads start and find EICAR, and a second pool would double doctor's start-up.
import { join } from 'node:path';
import type { Config, ListenerConfig } from '../config/schema.js';
import { createScanSetup } from '../scan/create-pipeline.js';
import { createLogger } from '../store/log.js';
import type { Protocol } from '../types/body-context.js';
import { fail, pass, type CheckOutcome, type DoctorCheck } from './check.js';
import { runSelfTest, selfTestConfig, type SelfTestServices } from './self-test/run-self-test.js';
import { createSelfTestPki } from './self-test/self-test-ca.js';

export const selfTestCheck: DoctorCheck = {
  id: 'self-test',
  needsConfig: true,
  async run({ config: userConfig }) {
    const pki = await createSelfTestPki();
    try {
      const dataDir = join(pki.dir, 'data');
      const config = selfTestConfig(userConfig!);
      const log = createLogger({ dataDir, console: false, level: 'warn' });
      const scanning = await createScanSetup(config, dataDir, log, config.scan.engines);
      try {
        const services: SelfTestServices = { pki, config, scanner: scanning.pipeline, log };
        const outcomes: CheckOutcome[] = [];
        for (const listener of userConfig!.listeners) {
          for (const protocol of protocolsOf(listener)) outcomes.push(await selfTest(listener, protocol, services));
        }
        return outcomes;
      } finally {
        await scanning.close();
        log.flush();
      }
    } finally {
      pki.remove();
    }
  },
};

function protocolsOf(listener: ListenerConfig): Protocol[] {
  return listener.protocol === 'auto' ? ['imap', 'pop3'] : [listener.protocol];
}

async function selfTest(listener: ListenerConfig, protocol: Protocol, services: SelfTestServices): Promise<CheckOutcome> {
  const title = `self-test ${listener.name} (${protocol}, client TLS ${listener.tls}, upstream TLS ${listener.upstreamTls})`;
  try {
    const { problems, client } = await runSelfTest(listener, protocol, services);
    if (problems.length === 0) return pass(title, `EICAR attachment stripped, clean message byte-identical (${client})`);
    return fail(title, problems.join('; '), remedy(services.config, protocol, listener));
  } catch (error) {
    return fail(title, `the test messages could not be fetched through the proxy: ${(error as Error).message}`, 'run inboxguard doctor --json and report the output as a bug');
  }
}

function remedy(config: Config, protocol: Protocol, listener: ListenerConfig): string {
  if (!config.enabled) return 'scanning is off: set enabled: true in the configuration file';
  const switchName = `${protocol}${listener.tls === 'implicit' ? 's' : ''}` as keyof Config['protocols'];
  if (!config.protocols[switchName]) return `scanning of ${switchName} is off: inboxguard protocols enable ${switchName}`;
  return 'check scan.engines and the rules (inboxguard rules list): a rule or engine setting lets EICAR through';
}
