// Runs the checks in order and collects their lines. A check that throws is a ✗ line of its own, so
// one broken check never hides the others.
import type { CheckLine, DoctorCheck, DoctorContext } from './check.js';
import { DOCTOR_CHECKS } from './registry.js';

export interface DoctorReport {
  ok: boolean;
  checks: CheckLine[];
}

export async function runDoctor(context: DoctorContext, checks: readonly DoctorCheck[] = DOCTOR_CHECKS, onLine?: (line: CheckLine) => void): Promise<DoctorReport> {
  const lines: CheckLine[] = [];
  for (const check of checks) {
    if (check.needsConfig && context.config === undefined) continue;
    let outcomes;
    try {
      outcomes = await check.run(context);
    } catch (error) {
      outcomes = [{ ok: false, title: check.id, detail: `the check failed: ${(error as Error).message}`, fix: 'report this as a bug with the output of inboxguard doctor --json' }];
    }
    for (const outcome of outcomes) {
      const line = { check: check.id, ...outcome };
      lines.push(line);
      onLine?.(line);
    }
  }
  return { ok: lines.every((line) => line.ok), checks: lines };
}

/** "✓ title: detail" or "✗ title: detail → fix", one line. */
export function formatCheckLine(line: CheckLine): string {
  return line.ok ? `✓ ${line.title}: ${line.detail}` : `✗ ${line.title}: ${line.detail} → ${line.fix}`;
}
