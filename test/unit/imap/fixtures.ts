// Loads the recorded Dovecot sessions in test/fixtures/imap/ (see record-dovecot.ts there).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Step } from './harness.js';

export interface RecordedSession {
  description: string;
  steps: Step[];
  /** What the engine sent upstream while recording. */
  toServer: Buffer;
  /** What Dovecot sent to a client talking to it directly (read-only sessions only). */
  direct?: Buffer;
}

const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'imap');

interface RawFixture {
  description: string;
  steps: Array<{ from: 'client' | 'server'; data: string }>;
  toServer: string;
  direct?: string;
}

export function loadSession(name: string): RecordedSession {
  const raw = JSON.parse(readFileSync(join(fixtureDir, `${name}.json`), 'utf8')) as RawFixture;
  return {
    description: raw.description,
    steps: raw.steps.map((s) => ({ from: s.from, data: Buffer.from(s.data, 'base64') })),
    toServer: Buffer.from(raw.toServer, 'base64'),
    direct: raw.direct === undefined ? undefined : Buffer.from(raw.direct, 'base64'),
  };
}

/** Dovecot's tagged responses carry timings, e.g. `(0.001 + 0.000 secs).`, which differ per run. */
export function withoutTimings(bytes: Buffer): string {
  return bytes.toString('latin1').replace(/ \([0-9.]+(?: \+ [0-9.]+)* secs\)\./g, '.');
}

export function serverBytes(session: RecordedSession): Buffer {
  return Buffer.concat(session.steps.filter((s) => s.from === 'server').map((s) => s.data));
}

export function clientBytes(session: RecordedSession): Buffer {
  return Buffer.concat(session.steps.filter((s) => s.from === 'client').map((s) => s.data));
}
