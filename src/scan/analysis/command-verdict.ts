// How a `command` backend's program answers (#14), read from how it ended and what it printed.
//
//   exit 0 → clean, 1 → malicious, 2 → suspicious; any other status, a signal, a timeout → error.
//   stdout beginning with '{' (after white space) is a JSON answer {"verdict": "clean" | "malicious" |
//   "suspicious", "name"?: string}: when the program ended with 0, 1 or 2 its verdict replaces the exit
//   status's; an answer that does not validate is an error. Any other stdout (e.g. clamdscan's
//   "FILE: NAME FOUND") is not interpreted: its first line becomes the detail.
import { z } from 'zod';
import { ANALYSIS_VERDICTS } from '../../types/analysis-verdict.js';
import type { AnalysisResult } from './types.js';

export const EXIT_VERDICTS = { 0: 'clean', 1: 'malicious', 2: 'suspicious' } as const;

const MAX_DETAIL = 200;

const jsonAnswer = z.object({
  verdict: z.enum(ANALYSIS_VERDICTS),
  name: z.string().min(1).max(MAX_DETAIL).optional(),
});

export interface ProgramEnding {
  /** Exit status, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function oneLine(text: string): string | undefined {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  if (line === undefined) return undefined;
  // Control characters would corrupt a log line or an event.
  const printable = line.replace(/[\u0000-\u001f\u007f]/g, '?');
  return printable.length > MAX_DETAIL ? `${printable.slice(0, MAX_DETAIL)}…` : printable;
}

function withDetail(result: AnalysisResult, detail: string | undefined): AnalysisResult {
  return detail === undefined ? result : { ...result, detail };
}

export function verdictFromEnding(backend: string, ending: ProgramEnding): AnalysisResult {
  if (ending.signal !== null) return { verdict: 'error', backend, detail: withStderr(`killed by ${ending.signal}`, ending.stderr) };
  const code = ending.code;
  if (code !== 0 && code !== 1 && code !== 2) return { verdict: 'error', backend, detail: withStderr(`exit status ${code}`, ending.stderr) };
  const byStatus = EXIT_VERDICTS[code];
  if (!ending.stdout.trimStart().startsWith('{')) return withDetail({ verdict: byStatus, backend }, oneLine(ending.stdout));
  let parsed: unknown;
  try {
    parsed = JSON.parse(ending.stdout);
  } catch {
    return { verdict: 'error', backend, detail: `stdout is not valid JSON (exit status ${code})` };
  }
  const answer = jsonAnswer.safeParse(parsed);
  if (!answer.success) {
    return { verdict: 'error', backend, detail: `stdout JSON is not {"verdict": clean|malicious|suspicious, "name"?: string}: ${oneLine(answer.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '))}` };
  }
  const name = answer.data.name === undefined ? undefined : oneLine(answer.data.name);
  return { verdict: answer.data.verdict, backend, ...(name !== undefined ? { name } : {}) };
}

function withStderr(what: string, stderr: string): string {
  const line = oneLine(stderr);
  return line === undefined ? what : `${what}: ${line}`;
}
