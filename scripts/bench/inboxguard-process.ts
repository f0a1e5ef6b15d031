import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface InboxguardProcess {
  port: number;
  /** Its data dir (INBOXGUARD_HOME), removed by stop(). */
  home: string;
  caPem: string;
  pid: number;
  /** Its pino log (JSON lines), readable until stop(). */
  logPath: string;
  /** Peak resident set size so far (VmHWM), in MiB. */
  peakRssMiB(): number;
  stop(): Promise<void>;
}

/** Extra Node.js flags for the proxy under measurement, e.g. INBOXGUARD_BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'. */
function nodeArgs(): string[] {
  return (process.env.INBOXGUARD_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

/** The node flags of that build's bin (`#!/usr/bin/env -S node FLAGS`): what `npx inboxguard start` runs it with. */
export function shebangFlags(main: string): string[] {
  const match = /^#!\S*env -S node((?: \S+)*)\n/.exec(readFileSync(main, 'utf8').slice(0, 200));
  return match ? match[1].split(' ').filter(Boolean) : [];
}

/**
 * Runs the compiled CLI (`npm run build` first) as a separate process, as a user would (with its bin's node flags). `config`: YAML
 * for <home>/config.yaml (the listener still comes from the flags); `main`: another build's main.js.
 */
export async function startInboxguard(upstream: string, upstreamCa: string, extraArgs: string[] = [], options: { config?: string; main?: string } = {}): Promise<InboxguardProcess> {
  const home = mkdtempSync(join(tmpdir(), 'inboxguard-bench-'));
  if (options.config !== undefined) writeFileSync(join(home, 'config.yaml'), options.config, { mode: 0o600 });
  const main = options.main ?? MAIN;
  const child: ChildProcess = spawn(process.execPath, [...shebangFlags(main), ...nodeArgs(), main, 'start', '--listen', '127.0.0.1:0', '--upstream', upstream, '--upstream-ca', upstreamCa, ...extraArgs], {
    env: { ...process.env, INBOXGUARD_HOME: home },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let stdout = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`inboxguard did not start: ${stdout}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const match = /port (\d+), connection security/.exec(stdout);
      if (match && stdout.includes('Stop with Ctrl-C')) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`inboxguard exited with ${code}: ${stdout}`)));
  });
  return {
    port,
    home,
    caPem: readFileSync(join(home, 'certs', 'ca.pem'), 'utf8'),
    pid: child.pid as number,
    logPath: join(home, 'logs', 'inboxguard.log'),
    peakRssMiB: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(home, { recursive: true, force: true });
    },
  };
}
