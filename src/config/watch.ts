// Hot reload: the running proxy re-reads its configuration file when it changes (or on SIGHUP). A file
// that fails validation is rejected with one logged line and the configuration in force stays.
import { stat, statSync, type Stats } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { LiveConfig } from './live-config.js';
import type { Config } from './schema.js';

export interface ConfigWatcher {
  /** Re-reads the file now; resolves true when the new configuration took effect. */
  reload(): boolean;
  stop(): void;
}

export interface WatchOptions {
  /** Reads and validates the file; throws a UserError (one line) when it is not valid. */
  load(): Config;
  intervalMs?: number;
}

/** Settings a running proxy cannot change without dropping its listeners. */
const RESTART_ONLY: readonly (keyof Config)[] = ['listeners'];

export function watchConfigFile(path: string, live: LiveConfig, log: Logger, options: WatchOptions): ConfigWatcher {
  const reload = (): boolean => {
    let next: Config;
    try {
      next = options.load();
    } catch (error) {
      log.error({ config: path, problem: (error as Error).message }, 'configuration change rejected; the previous configuration stays in force');
      return false;
    }
    const previous = live.current;
    const changed = (Object.keys(next) as (keyof Config)[]).filter((key) => !isDeepStrictEqual(next[key], previous[key]));
    if (changed.length === 0) return true;
    const restartOnly = changed.filter((key) => RESTART_ONLY.includes(key));
    // Listeners stay as they were started; everything else is taken by the next connection or scan.
    live.replace({ ...next, listeners: previous.listeners });
    log.info({ config: path, changed }, 'configuration reloaded');
    if (restartOnly.length > 0) log.warn({ changed: restartOnly }, 'listener changes take effect when inboxguard is restarted');
    return true;
  };
  // Polling the path (not the inode) also sees files replaced by rename, as editors and the CLI write them.
  // The first look is synchronous, so a change made right after the watch starts is not taken as the baseline.
  let last = fileIdentity(path);
  let looking = false;
  const look = (): void => {
    if (looking) return;
    looking = true;
    stat(path, (error, stats) => {
      looking = false;
      const now = error ? undefined : identityOf(stats);
      if (sameIdentity(now, last)) return;
      last = now;
      if (now) reload();
    });
  };
  const timer = setInterval(look, options.intervalMs ?? 500);
  // Not persistent: the proxy's sockets keep the process alive, not the watch.
  timer.unref();
  return { reload, stop: () => clearInterval(timer) };
}

interface FileIdentity {
  ino: number;
  mtimeMs: number;
  size: number;
}

function identityOf(stats: Stats): FileIdentity {
  return { ino: stats.ino, mtimeMs: stats.mtimeMs, size: stats.size };
}

function fileIdentity(path: string): FileIdentity | undefined {
  try {
    return identityOf(statSync(path));
  } catch {
    return undefined;
  }
}

function sameIdentity(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  if (!a || !b) return a === b;
  return a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.size === b.size;
}
