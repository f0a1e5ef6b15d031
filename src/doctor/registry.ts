// The checks `inboxguard doctor` runs, in this order. A new check is one module exporting a DoctorCheck
// and one line here.
import { caKeyModeCheck } from './ca-key-mode-check.js';
import { caTrustCheck } from './ca-trust-check.js';
import type { DoctorCheck } from './check.js';
import { clamdCheck } from './clamd-check.js';
import { configCheck } from './config-check.js';
import { exclusionsCheck } from './exclusions-check.js';
import { listenerPortCheck } from './listener-port-check.js';
import { scanWorkersCheck } from './scan-workers-check.js';
import { selfTestCheck } from './self-test-check.js';
import { upstreamCheck } from './upstream-check.js';

export const DOCTOR_CHECKS: readonly DoctorCheck[] = [
  configCheck,
  listenerPortCheck,
  caKeyModeCheck,
  caTrustCheck,
  upstreamCheck,
  clamdCheck,
  exclusionsCheck,
  scanWorkersCheck,
  selfTestCheck,
];
