// What `inboxguard verdicts sync-status` shows, gathered without the proxy: the link status the running
// proxy recorded in state.db, its queue and position there, and — asked from Redis itself, briefly —
// how far that position is behind the stream.
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { GuardedConnector } from './guarded-connector.js';
import { redisTarget, type ShareOptions } from './redis-connection.js';
import { ShareTables, type RecordedLinkStatus } from './share-tables.js';
import { streamIdTime } from './stream-ids.js';

const ASK_TIMEOUT_MS = 2000;
/** Entries behind are counted up to this many. */
export const LAG_COUNT_LIMIT = 10_000;

export interface SyncStatus {
  redis: string;
  stream: string;
  /** The proxy's recorded link status; undefined when no proxy has run with sharing on this data dir. */
  recorded?: RecordedLinkStatus;
  /** Whether the process that recorded it is still running (and did not close sharing). */
  proxyRunning: boolean;
  queued: number;
  dropped: number;
  lastSeenId?: string;
  /** From Redis: entries after lastSeenId (at most LAG_COUNT_LIMIT), and the newest entry's age gap. */
  lag?: { entriesBehind: number; atLeast: boolean; newestEntryId?: string; behindMs: number };
  /** Why Redis could not be asked from here. */
  redisError?: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function readSyncStatus(share: ShareOptions, dbPath: string): Promise<SyncStatus> {
  const target = redisTarget(share);
  const status: SyncStatus = { redis: target.display, stream: share.stream, proxyRunning: false, queued: 0, dropped: 0 };
  if (existsSync(dbPath)) {
    const tables = new ShareTables(dbPath);
    try {
      const recorded = tables.recordedStatus();
      if (recorded) {
        status.recorded = recorded;
        status.proxyRunning = recorded.link !== 'closed' && processAlive(recorded.pid);
      }
      status.queued = tables.queued();
      status.dropped = tables.dropped();
      const lastSeenId = tables.lastSeenId(share.stream);
      if (lastSeenId !== undefined) status.lastSeenId = lastSeenId;
    } finally {
      tables.close();
    }
  }
  const client = new Redis({
    ...target.options,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: ASK_TIMEOUT_MS,
    commandTimeout: ASK_TIMEOUT_MS,
    retryStrategy: () => null,
    Connector: GuardedConnector,
  });
  let lastError: string | undefined;
  client.on('error', (error: Error) => {
    lastError = error.message;
  });
  try {
    await client.connect();
    const newest = (await client.xrevrange(share.stream, '+', '-', 'COUNT', 1))[0]?.[0];
    const from = status.lastSeenId ?? '-';
    const behind = await client.xrange(share.stream, from === '-' ? '-' : `(${from}`, '+', 'COUNT', LAG_COUNT_LIMIT);
    const behindMs = newest !== undefined && behind.length > 0 ? streamIdTime(newest) - (status.lastSeenId ? streamIdTime(status.lastSeenId) : streamIdTime(behind[0]?.[0] as string)) : 0;
    status.lag = { entriesBehind: behind.length, atLeast: behind.length === LAG_COUNT_LIMIT, ...(newest ? { newestEntryId: newest } : {}), behindMs };
  } catch (error) {
    status.redisError = (lastError ?? (error instanceof Error ? error.message : String(error))).slice(0, 300);
  } finally {
    client.disconnect();
  }
  return status;
}
