// clamd reachable if configured: PING must be answered with PONG; its VERSION line is shown.
import { createClamdEngine, describeAddress, parseClamdAddress } from '../scan/engines/clamd/index.js';
import { fail, pass, type DoctorCheck } from './check.js';

const PING_TIMEOUT_MS = 5_000;

export const clamdCheck: DoctorCheck = {
  id: 'clamd',
  needsConfig: true,
  async run({ config }) {
    if (!config!.scan.engines.includes('clamd')) return [pass('clamd', `not configured (scan.engines: ${config!.scan.engines.join(', ')})`)];
    const address = parseClamdAddress(config!.scan.clamd.address);
    const engine = createClamdEngine({ address, timeoutMs: PING_TIMEOUT_MS });
    try {
      await engine.ping();
      return [pass('clamd', `${describeAddress(address)} answers: ${await engine.version()}`)];
    } catch (error) {
      return [fail('clamd', `${describeAddress(address)} does not answer: ${(error as Error).message}`, 'start clamd (systemctl start clamav-daemon), or correct scan.clamd.address')];
    } finally {
      await engine.close?.();
    }
  },
};
