// `inboxguard verdicts sync-status [--json]` (#18): the Redis link of verdict sharing and how far behind
// this machine is, read from state.db (recorded by the running proxy) and from Redis.
import type { Command } from 'commander';
import { readConfigOrDefaults } from '../config/store.js';
import { stateDbPath } from '../store/state-db.js';
import type { SyncStatus } from '../store/verdict-sharing/sync-status.js';
import { UserError } from '../user-error.js';
import { cliContext } from './context.js';

export function registerVerdictsSyncStatus(verdicts: Command): void {
  verdicts
    .command('sync-status')
    .description('show the Redis link that shares verdicts between machines, and the lag')
    .option('--json', 'one JSON object')
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = cliContext(command);
      const share = readConfigOrDefaults(context.configPath).analysis.share;
      if (!share.redis) {
        console.log(options.json ? JSON.stringify({ enabled: false }) : 'verdict sharing is off (analysis.share.redis is not set)');
        return;
      }
      // Loaded only here: the Redis client is not needed by any other command.
      const { readSyncStatus } = await import('../store/verdict-sharing/sync-status.js');
      const { ShareConfigError } = await import('../store/verdict-sharing/redis-connection.js');
      let status: SyncStatus;
      try {
        status = await readSyncStatus(share, stateDbPath(context.dataDir));
      } catch (error) {
        if (error instanceof ShareConfigError) throw new UserError(error.message);
        throw error;
      }
      console.log(options.json ? JSON.stringify({ enabled: true, ...status }) : readable(status));
    });
}

const time = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

function readable(status: SyncStatus): string {
  const lines = [`redis: ${status.redis}, stream ${status.stream}`];
  const recorded = status.recorded;
  if (!recorded) lines.push('link: no proxy has run with verdict sharing on this data dir yet');
  else if (status.proxyRunning) {
    lines.push(`link: ${recorded.link} since ${time(recorded.since)}${recorded.lastError ? ` (${recorded.lastError})` : ''}, recorded by the proxy (pid ${recorded.pid}) at ${time(recorded.updatedAt)}`);
  } else {
    lines.push(`link: proxy not running (it last recorded '${recorded.link}' at ${time(recorded.updatedAt)})`);
  }
  if (recorded) {
    const last = (label: string, at?: number) => (at !== undefined ? `, last ${label} ${time(at)}` : '');
    lines.push(`this run: published ${recorded.published}${last('published', recorded.lastPublishedAt)}; received ${recorded.received}${last('received', recorded.lastReceivedAt)}`);
  }
  lines.push(`queued to publish: ${status.queued}${status.dropped > 0 ? ` (${status.dropped} dropped while the queue was full)` : ''}`);
  lines.push(`last entry read: ${status.lastSeenId ?? 'none'}`);
  if (status.lag) {
    const { entriesBehind, atLeast, behindMs } = status.lag;
    lines.push(`lag: ${atLeast ? 'at least ' : ''}${entriesBehind} entries behind the stream${entriesBehind > 0 ? `, ${(behindMs / 1000).toFixed(1)} s behind its newest entry` : ''}`);
  } else {
    lines.push(`lag: unknown, Redis not reachable from here (${status.redisError ?? 'no answer'})`);
  }
  return lines.join('\n');
}
