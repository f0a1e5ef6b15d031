// The limits that bound what a peer (server, client, or whoever wrote the mail) can make the proxy hold
// or do, in one place. Numbers a user may tune come from the configuration; these are the defaults and
// the derivations from it.
import { DEFAULT_WALK_LIMITS } from '../mime/types.js';

const MiB = 1024 * 1024;

/** MIME structure: nesting depth, entity count, header lines and bytes per entity (src/mime walks with these). */
export const MIME_WALK_LIMITS = DEFAULT_WALK_LIMITS;

export interface MemoryLimits {
  /** Bytes one session may hold in memory (spooled bodies, client bytes queued behind a held body). */
  sessionBytes: number;
  /**
   * Bytes of one body kept in memory when it cannot be spilled to disk (disk full, temp dir unwritable);
   * beyond this (or beyond a budget) that body fails, and only its session is affected.
   */
  unspillableBodyBytes: number;
  /** Bytes on their way to a spool file; above this the session stops reading from the server until the disk catches up. */
  diskWriteWindowBytes: number;
  /** Complete bodies waiting for their scan; above this the session stops reading from the server, so one session cannot queue work ahead of all others. */
  scansWaiting: number;
}

/** Held bodies per session, in units of scan.memoryBufferBytes (the engines keep up to 4 for partial fetches). */
const SESSION_BODY_BUFFERS = 8;

/** Bytes all sessions together may hold in memory. */
export const PROCESS_MEMORY_BYTES = 512 * MiB;

/** The memory budgets for a proxy whose bodies spill to disk above `memoryBufferBytes` (scan.memoryBufferBytes). */
export function memoryLimits(memoryBufferBytes: number): MemoryLimits {
  return {
    sessionBytes: SESSION_BODY_BUFFERS * memoryBufferBytes,
    unspillableBodyBytes: 2 * memoryBufferBytes,
    diskWriteWindowBytes: Math.min(4 * MiB, memoryBufferBytes),
    scansWaiting: 8,
  };
}

/** Client- or server-bound bytes a session's sink may hold before the session stops reading the other side. */
export const HIGH_WATER_BYTES = 4 * MiB;

/** Client-bound bytes the engine may queue behind a held body before the session stops reading the server. */
export const ENGINE_QUEUE_LIMIT_BYTES = 8 * MiB;
