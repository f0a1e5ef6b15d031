// The shape every doctor check shares: what it is given and the lines it reports.
import type { TrustScope } from '../ca/trust/types.js';
import type { Config } from '../config/schema.js';

/** One line of the report: ✓ or ✗, what was checked, what was found and, for ✗, the one thing to do. */
export interface CheckLine {
  /** The check that wrote the line (its registry id), e.g. "listener-port". */
  check: string;
  ok: boolean;
  title: string;
  detail: string;
  /** For ✗: the one thing to do. */
  fix?: string;
}

export interface DoctorContext {
  dataDir: string;
  configPath: string;
  /** The configuration, once the configuration check has read it; undefined when it is not valid. */
  config?: Config;
  /** Where the trust stores are looked for (tests point them at temporary trees). */
  trustScope?: Pick<TrustScope, 'home' | 'root'>;
}

export interface DoctorCheck {
  id: string;
  /** Checks that read the configuration do not run when it is not valid (the configuration line says why). */
  needsConfig: boolean;
  run(context: DoctorContext): Promise<CheckOutcome[]>;
}

export type CheckOutcome = Omit<CheckLine, 'check'>;

export const pass = (title: string, detail: string): CheckOutcome => ({ ok: true, title, detail });
export const fail = (title: string, detail: string, fix: string): CheckOutcome => ({ ok: false, title, detail, fix });
