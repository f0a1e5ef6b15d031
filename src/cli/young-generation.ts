// The proxy's main thread allocates at a high rate only in bursts (module loading, connection setup,
// relaying bodies whose bytes live outside the JS heap), yet V8 grows its young generation under each
// burst up to the default maximum (two 16 MiB semi-spaces) and keeps it resident: memory for objects
// that die young. 1 MiB semi-spaces cut an idle proxy's resident memory by about 18 MiB with 1,000
// idle sessions (scripts/bench/idle-sessions.ts) at no measurable cost to bulk relaying.
import { setFlagsFromString } from 'node:v8';

/**
 * Node.js flags of the proxy process. The bin's shebang (main.ts, `env -S`, which npm's Windows shims
 * also read) and the service unit (service/invocation.ts) pass them; a unit test keeps the shebang equal.
 */
export const PROXY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

const flagName = (flag: string) => flag.split('=')[0];

/** `execArgv` with every proxy flag it does not already set (a value the user chose is kept). */
export function withProxyNodeFlags(execArgv: readonly string[]): string[] {
  const missing = PROXY_NODE_FLAGS.filter((flag) => !execArgv.some((arg) => flagName(arg) === flagName(flag)));
  return [...missing, ...execArgv];
}

/**
 * For a proxy started without the flags (`node dist/cli/main.js start`): the semi-space maximum is fixed
 * once the heap exists (V8 ignores a later --max-semi-space-size), but V8 reads the growth factor each
 * time it would grow them, so factor 1 keeps them at the size they reached while the modules loaded
 * (4 MiB each, against 1 MiB with the flag). Returns whether it applied the cap.
 */
export function capYoungGenerationGrowth(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map(flagName);
  if (given.includes('--max-semi-space-size') || given.includes('--semi-space-growth-factor')) return false;
  setFlagsFromString('--semi-space-growth-factor=1');
  return true;
}
