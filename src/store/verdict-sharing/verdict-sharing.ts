// Verdicts shared between machines through Redis (#18). Every change this machine makes to its verdict
// store is queued in state.db and published to a Redis stream (XADD) and a hash by SHA-256; every
// machine reads the stream (XREAD BLOCK) from the last entry it saw, applies what others published to
// its own VerdictStore and reports each verdict it took through onRemoteVerdict, so the proxy acts on
// it as on its own late verdict.
//
// Mail never waits for Redis: publish() writes to the queue in state.db and returns; a publisher
// empties the queue while the link is up. Redis down or slow: one log line when the link goes down,
// one when it is back, and the queue (bounded by maxQueued) is published then. A machine with no
// position in the stream, or one behind the stream's trimmed start, first reads the hash.
//
//   const sharing = startVerdictSharing({ share: config.analysis.share, store, db: stateDbPath(dataDir), log,
//     onRemoteVerdict: (record) => lateVerdict(record) });
//   store.put(record) && sharing.publish(verdictChange(record));
//   await sharing.close();
import type Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import type { VerdictRecord, VerdictStore } from '../verdicts.js';
import { applyRemoteChange } from './apply-remote.js';
import { GuardedConnector } from './guarded-connector.js';
import { hashKey, PUBLISH_SCRIPT } from './publish-script.js';
import { redisTarget, type ShareOptions } from './redis-connection.js';
import { ShareTables, type RecordedLinkStatus } from './share-tables.js';
import { decodeChange, encodeChange, type SharedChange } from './shared-change.js';
import { compareStreamIds } from './stream-ids.js';

/** The logger calls used (pino's Logger fits). */
export interface ShareLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export interface RemoteOrigin {
  /** The publishing machine's instance id. */
  instanceId: string;
  /** The stream entry id, or undefined for a change read from the hash while catching up. */
  entryId?: string;
}

export interface VerdictSharingOptions {
  share: ShareOptions;
  store: VerdictStore;
  /** The state database: an open handle or its path (<data-dir>/state.db). */
  db: Database.Database | string;
  log: ShareLog;
  /** A verdict from another machine that the local store took. Errors it throws are logged. */
  onRemoteVerdict?: (record: VerdictRecord, origin: RemoteOrigin) => void;
  /** How long one XREAD waits for new entries, ms (default 5000). */
  blockMs?: number;
  /** How often the queue is checked for changes other processes (the CLI) queued, ms (default 1000). */
  pollMs?: number;
  /** How long Redis may take to answer a command before the link counts as down, ms (default 5000). */
  commandTimeoutMs?: number;
}

export interface SharingStatus extends Omit<RecordedLinkStatus, 'updatedAt' | 'pid'> {
  queued: number;
  dropped: number;
  lastSeenId?: string;
}

export interface VerdictSharing {
  /** Queues the change for publishing; never waits for the network. */
  publish(change: SharedChange): void;
  status(): SharingStatus;
  close(): Promise<void>;
}

/**
 * Queues a change in state.db without a Redis connection, for a process that is not the proxy (e.g.
 * `verdicts forget` in the CLI): the running proxy publishes it within pollMs, or at its next start.
 */
export function queueSharedChange(db: Database.Database | string, change: SharedChange, maxQueued: number): void {
  const tables = new ShareTables(db);
  try {
    tables.enqueue(change, maxQueued);
  } finally {
    tables.close();
  }
}

const PUBLISH_BATCH = 100;
const READ_COUNT = 500;
const COMMAND_TIMEOUT_MS = 5000;
const STATUS_EVERY_MS = 1000;
const READ_RETRY_MS = 500;

export function startVerdictSharing(options: VerdictSharingOptions): VerdictSharing {
  const { share, store, log } = options;
  const target = redisTarget(share);
  const tables = new ShareTables(options.db);
  const instanceId = tables.instanceId();
  const stream = share.stream;
  const hash = hashKey(stream);
  const blockMs = options.blockMs ?? 5000;
  const commandTimeoutMs = options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;
  const common = {
    ...target.options,
    lazyConnect: true,
    // Commands fail at once while the link is down instead of waiting in ioredis' memory: the queue is in state.db.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: commandTimeoutMs,
    retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
    Connector: GuardedConnector,
  };
  const publisher = new Redis({ ...common, commandTimeout: commandTimeoutMs, connectionName: 'inboxguard-publish' });
  const reader = new Redis({ ...common, commandTimeout: blockMs + commandTimeoutMs, connectionName: 'inboxguard-read' });

  let closed = false;
  let link: RecordedLinkStatus['link'] = 'connecting';
  let since = Date.now();
  let lastError: string | undefined;
  let received = 0;
  let published = 0;
  let lastReceivedAt: number | undefined;
  let lastPublishedAt: number | undefined;
  let statusWrittenAt = 0;
  let scriptSha: string | undefined;
  let flushing = false;
  let dropWarned = false;
  let replyErrorLogged: string | undefined;
  let positioned = false;
  let stopReading: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    stopReading = resolve;
  });

  const status = (): SharingStatus => ({
    link,
    since,
    ...(lastError !== undefined && link !== 'up' ? { lastError } : {}),
    redis: target.display,
    stream,
    instanceId,
    received,
    published,
    ...(lastReceivedAt !== undefined ? { lastReceivedAt } : {}),
    ...(lastPublishedAt !== undefined ? { lastPublishedAt } : {}),
    queued: tables.queued(),
    dropped: tables.dropped(),
    ...(tables.lastSeenId(stream) !== undefined ? { lastSeenId: tables.lastSeenId(stream) } : {}),
  });

  let pendingStatus: NodeJS.Timeout | undefined;
  /** Writes the status row for the CLI: at once when forced, else at most once per STATUS_EVERY_MS (the last change always lands). */
  const recordStatus = (force: boolean): void => {
    const now = Date.now();
    if (!force && now - statusWrittenAt < STATUS_EVERY_MS) {
      pendingStatus ??= setTimeout(() => {
        pendingStatus = undefined;
        if (!closed) recordStatus(true);
      }, STATUS_EVERY_MS - (now - statusWrittenAt)).unref();
      return;
    }
    clearTimeout(pendingStatus);
    pendingStatus = undefined;
    statusWrittenAt = now;
    const { queued: _q, dropped: _d, lastSeenId: _l, ...recorded } = status();
    tables.recordStatus({ ...recorded, updatedAt: now, pid: process.pid });
  };

  const setLink = (next: RecordedLinkStatus['link']): void => {
    if (link === next) return;
    link = next;
    since = Date.now();
    recordStatus(true);
  };

  const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 300);

  publisher.on('error', (error: unknown) => {
    lastError = errorText(error);
  });
  reader.on('error', () => undefined); // the publisher's connection speaks for the link
  reader.on('close', () => {
    positioned = false;
  });
  /** One line when the link goes down; nothing while it stays down. */
  const linkDown = (reason: string): void => {
    lastError = reason;
    if (link !== 'up') return;
    log.warn({ redis: target.display, reason }, 'verdict sharing: Redis link down; verdicts are queued locally until it is back');
    setLink('down');
  };
  publisher.on('close', () => {
    scriptSha = undefined;
    if (!closed) linkDown(lastError ?? 'connection closed');
  });
  publisher.on('ready', () => {
    if (closed) return;
    const was = link;
    setLink('up');
    lastError = undefined;
    dropWarned = false;
    const queued = tables.queued();
    if (was === 'down') log.info({ redis: target.display, queued }, 'verdict sharing: Redis link back; publishing the queue');
    else log.info({ redis: target.display, stream, queued }, 'verdict sharing: connected to Redis');
    void flush();
  });

  publisher.connect().catch((error: unknown) => {
    if (closed || link !== 'connecting') return;
    // The 'error' event that came first says why (e.g. ECONNREFUSED); the rejection only "Connection is closed."
    lastError ??= errorText(error);
    log.warn(
      { redis: target.display, reason: lastError },
      'verdict sharing: Redis unreachable at start-up; running on the local verdict store, publishing queued verdicts once it is reachable',
    );
    setLink('down');
  });
  reader.connect().catch(() => undefined);

  async function flush(): Promise<void> {
    if (flushing || closed || link !== 'up') return;
    flushing = true;
    try {
      scriptSha ??= (await publisher.script('LOAD', PUBLISH_SCRIPT)) as string;
      for (;;) {
        const batch = tables.peek(PUBLISH_BATCH);
        if (batch.length === 0) break;
        const pipeline = publisher.pipeline();
        for (const { change } of batch) pipeline.evalsha(scriptSha, 2, stream, hash, share.maxLength, instanceId, encodeChange(change));
        const results = (await pipeline.exec()) ?? [];
        const done: number[] = [];
        let failure: Error | null = null;
        for (const [index, queued] of batch.entries()) {
          const [error] = results[index] ?? [new Error('no reply')];
          if (error) {
            failure = error;
            break;
          }
          done.push(queued.seq);
        }
        tables.remove(done);
        published += done.length;
        if (done.length > 0) lastPublishedAt = Date.now();
        if (failure) throw failure;
      }
      replyErrorLogged = undefined;
      recordStatus(false);
    } catch (error) {
      if (closed) return;
      const text = errorText(error);
      if (/NOSCRIPT/.test(text)) scriptSha = undefined;
      if (error instanceof Error && error.name === 'ReplyError') {
        // Redis answered but refused (e.g. the stream key holds another type): keep the queue, say it once, retry at the next poll.
        if (replyErrorLogged !== text) log.warn({ redis: target.display, reason: text }, 'verdict sharing: Redis refused a publish; the queue is kept');
        replyErrorLogged = text;
      } else {
        // Timed out or the connection broke: reconnect; the 'close' handler logs the link as down.
        linkDown(text);
        publisher.disconnect(true);
      }
    } finally {
      flushing = false;
    }
  }

  const applyEntry = (entryId: string | undefined, origin: string, changeText: string): void => {
    if (origin === instanceId) return;
    const change = decodeChange(changeText);
    if (!change) {
      log.warn({ entry: entryId, origin }, 'verdict sharing: skipped a malformed change from Redis');
      return;
    }
    const taken = applyRemoteChange(store, tables, change);
    if (!taken) return;
    received++;
    lastReceivedAt = Date.now();
    log.debug({ sha256: taken.sha256, verdict: taken.verdict, source: taken.source, origin }, 'verdict sharing: verdict from another machine');
    try {
      options.onRemoteVerdict?.(taken, { instanceId: origin, ...(entryId !== undefined ? { entryId } : {}) });
    } catch (error) {
      log.warn({ sha256: taken.sha256, error: errorText(error) }, 'verdict sharing: acting on a remote verdict failed');
    }
  };

  /** Reads the hash when this machine has no usable position in the stream (new, or behind its trimmed start). */
  async function position(): Promise<void> {
    const lastSeen = tables.lastSeenId(stream);
    if (lastSeen !== undefined && !(await missedTrimmedEntries(lastSeen))) return;
    const newest = (await reader.xrevrange(stream, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
    let cursor = '0';
    do {
      const [next, fields] = await reader.hscan(hash, cursor, 'COUNT', READ_COUNT);
      cursor = next;
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const kept = parseHashValue(fields[i + 1] as string);
        if (kept) applyEntry(undefined, kept.origin, kept.change);
      }
    } while (cursor !== '0');
    tables.setLastSeenId(stream, newest);
  }

  /**
   * Whether entries after lastSeen may have been removed unread. XDEL is recorded exactly (Redis 7:
   * max-deleted-entry-id); trimming is not, so: lastSeen is before the first entry and the stream holds
   * fewer entries than were ever added. At worst the hash is read once too often, which changes nothing.
   */
  async function missedTrimmedEntries(lastSeen: string): Promise<boolean> {
    let info: unknown[];
    try {
      info = (await reader.xinfo('STREAM', stream)) as unknown[];
    } catch (error) {
      if (/no such key/i.test(errorText(error))) return false;
      throw error;
    }
    const field = (name: string): unknown => (info.includes(name) ? info[info.indexOf(name) + 1] : undefined);
    const deleted = field('max-deleted-entry-id') as string | undefined;
    if (deleted !== undefined && compareStreamIds(deleted, lastSeen) > 0) return true;
    const first = (field('first-entry') as [string, string[]] | null | undefined)?.[0];
    if (first === undefined || compareStreamIds(lastSeen, first) >= 0) return false;
    const added = field('entries-added') as number | undefined;
    return added === undefined || added > (field('length') as number);
  }

  async function readLoop(): Promise<void> {
    while (!closed) {
      try {
        if (reader.status !== 'ready') {
          await Promise.race([new Promise((resolve) => reader.once('ready', resolve)), stopped]);
          continue;
        }
        if (!positioned) {
          await position();
          positioned = true;
        }
        const replies = await reader.xread('COUNT', READ_COUNT, 'BLOCK', blockMs, 'STREAMS', stream, tables.lastSeenId(stream) ?? '0-0');
        const entries = replies?.[0]?.[1] ?? [];
        for (const [entryId, fields] of entries) {
          const field = (name: string): string => fields[fields.indexOf(name) + 1] ?? '';
          applyEntry(entryId, field('origin'), field('change'));
        }
        // Once per batch: after a crash in the middle the batch is read again, which changes nothing (see applyRemoteChange).
        const last = entries.at(-1);
        if (last) {
          tables.setLastSeenId(stream, last[0]);
          recordStatus(false);
        }
      } catch {
        if (closed) break;
        positioned = false;
        await Promise.race([new Promise((resolve) => setTimeout(resolve, READ_RETRY_MS).unref()), stopped]);
      }
    }
  }

  const reading = readLoop();
  const poll = setInterval(() => void flush(), options.pollMs ?? 1000);
  poll.unref();
  recordStatus(true);

  return {
    publish(change: SharedChange): void {
      if (closed) throw new Error('verdict sharing is closed');
      const dropped = tables.enqueue(change, share.maxQueued);
      if (dropped > 0 && !dropWarned) {
        dropWarned = true;
        log.warn({ maxQueued: share.maxQueued }, 'verdict sharing: publish queue full; the oldest queued verdicts are dropped (they stay in the local store)');
      }
      void flush();
    },
    status,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearInterval(poll);
      clearTimeout(pendingStatus);
      stopReading();
      publisher.disconnect();
      reader.disconnect();
      await reading;
      link = 'closed';
      since = Date.now();
      recordStatus(true);
      tables.close();
    },
  };
}

function parseHashValue(text: string): { origin: string; change: string } | undefined {
  try {
    const value = JSON.parse(text) as { origin?: unknown; change?: unknown };
    if (typeof value.origin !== 'string' || typeof value.change !== 'object' || value.change === null) return undefined;
    return { origin: value.origin, change: JSON.stringify(value.change) };
  } catch {
    return undefined;
  }
}
