// Whether a connection's content is inspected, decided once per connection from the configuration it
// started with. The order gives the most general reason: protection off, protocol off, IP, application.
import type { Config } from '../config/schema.js';
import type { TlsMode } from '../types/tls-mode.js';
import type { Protocol } from '../protocol/engine.js';
import { matchApplication, type ApplicationFacts } from './application-match.js';

export type TransportKind = 'imap' | 'imaps' | 'pop3' | 'pop3s';

/** imaps/pop3s when the client side of the listener is TLS (implicit or STARTTLS), imap/pop3 when it is plaintext. */
export function transportKind(protocol: Protocol, clientTls: TlsMode): TransportKind {
  const secure = clientTls !== 'none';
  if (protocol === 'imap') return secure ? 'imaps' : 'imap';
  return secure ? 'pop3s' : 'pop3';
}

export interface InspectionFacts {
  kind: TransportKind;
  /** From the excluded-IP matcher, e.g. "ip 127.0.0.2 matched 127.0.0.0/30". */
  ipExclusion?: string;
  application: ApplicationFacts;
}

export type Inspection = { inspect: true; reason: 'scanned' } | { inspect: false; reason: string };

export function decideInspection(config: Pick<Config, 'enabled' | 'protocols' | 'exclusions'>, facts: InspectionFacts): Inspection {
  if (!config.enabled) return { inspect: false, reason: 'protection disabled' };
  if (!config.protocols[facts.kind]) return { inspect: false, reason: `protocol ${facts.kind} switched off` };
  if (facts.ipExclusion) return { inspect: false, reason: `excluded: ${facts.ipExclusion}` };
  const application = applicationExclusion(config, facts.application);
  if (application) return { inspect: false, reason: application };
  return { inspect: true, reason: 'scanned' };
}

export function applicationExclusion(config: Pick<Config, 'exclusions'>, facts: ApplicationFacts): string | undefined {
  const entry = matchApplication(config.exclusions.applications, facts);
  if (entry === undefined) return undefined;
  const byId = facts.imapIdName !== undefined && entry.toLowerCase() === facts.imapIdName.toLowerCase() && !matchApplication([entry], { process: facts.process });
  return byId ? `excluded: application ${entry} (IMAP ID)` : `excluded: application ${entry}`;
}
