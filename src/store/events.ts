import { closeSync, existsSync, fstatSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Finding } from '../types/verdict.js';
import type { MessageOrigin } from '../types/message-origin.js';
import { ensurePrivateDir } from '../private-files.js';
import { followLines } from './line-file-tail.js';

/** What stage-2 analysis did for a message (#14); `late` marks an event whose verdict is `late-verdict`. */
export interface ScanAnalysis {
  outcome: 'clean' | 'blocked' | 'error' | 'timeout' | 'released' | 'blocked-manually' | 'late';
  /** Backends asked, by name (rules see them as engine analysis:NAME). */
  backends: string[];
  parts: { name: string; sha256: string }[];
  /** What each backend said, e.g. "analysis:sandbox=malicious (Trojan.X)". */
  verdicts?: string;
  waitedMs?: number;
}

/**
 * One scan decision, as written to <dataDir>/logs/events.jsonl. `verdict` is a scan verdict, or
 * 'late-verdict' for a stage-2 verdict that landed after its message had been released (#14).
 */
export interface ScanEvent extends MessageOrigin {
  time: string;
  verdict: string;
  detections: Finding[];
  actions: string[];
  bytes: number;
  scanMs: number;
  quarantineId?: string;
  sizePreserved?: boolean;
  /** Decoration (subject tag, headers, the full notice) left out so that the size stays true, and why. */
  decorationDropped?: { dropped: string[]; notice?: string; reason: string };
  /** Rules that applied to the message (attachment rules name their part). */
  rules?: { id: string; name: string; level: string; actions: string[]; part?: string }[];
  analysis?: ScanAnalysis;
  note?: string;
}

const SUBJECT_LIMIT = 120;

export function eventsPath(dataDir: string): string {
  return join(dataDir, 'logs', 'events.jsonl');
}

/** How often an EventLog checks that its open file is still the one at its path (removed or rotated: it opens the path anew). */
export const EVENT_FILE_RECHECK_MS = 1000;

/**
 * Appends scan events as JSON lines (0600), one synchronous write per event so none is lost on a crash.
 * The file stays open between events (an open and a close per message were a third of a small message's
 * system calls); close() releases it.
 */
export class EventLog {
  private dirReady = false;
  private fd: number | undefined;
  private checkedAt = 0;

  constructor(
    private readonly path: string,
    private readonly clock: () => number = Date.now,
  ) {}

  append(event: Omit<ScanEvent, 'time'>, now = new Date()): ScanEvent {
    const full: ScanEvent = { time: now.toISOString(), ...event, subject: truncate(event.subject) };
    const line = `${JSON.stringify(full)}\n`;
    const fd = this.descriptor();
    try {
      writeSync(fd, line);
    } catch (error) {
      this.close();
      throw error;
    }
    return full;
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      closeSync(fd);
    } catch {
      // Already unusable; nothing to release.
    }
  }

  private descriptor(): number {
    const now = this.clock();
    if (this.fd !== undefined && now - this.checkedAt < EVENT_FILE_RECHECK_MS) return this.fd;
    this.checkedAt = now;
    if (this.fd !== undefined) {
      if (this.stillAtPath(this.fd)) return this.fd;
      this.close();
    }
    if (!this.dirReady) {
      ensurePrivateDir(dirname(this.path));
      this.dirReady = true;
    }
    this.fd = openSync(this.path, 'a', 0o600);
    return this.fd;
  }

  private stillAtPath(fd: number): boolean {
    try {
      const atPath = statSync(this.path);
      const open = fstatSync(fd);
      return atPath.ino === open.ino && atPath.dev === open.dev;
    } catch {
      return false;
    }
  }
}

function truncate(subject: string | undefined): string | undefined {
  if (subject === undefined || subject.length <= SUBJECT_LIMIT) return subject;
  return `${subject.slice(0, SUBJECT_LIMIT - 1)}…`;
}

export interface EventFilter {
  sinceMs?: number;
  verdict?: string;
}

function matchesFilter(event: ScanEvent, filter: EventFilter, now = Date.now()): boolean {
  if (filter.sinceMs !== undefined && now - Date.parse(event.time) > filter.sinceMs) return false;
  if (filter.verdict !== undefined && !verdictMatches(event, filter.verdict)) return false;
  return true;
}

/** The value of `--verdict` that selects late-verdict events (#14); `late-verdict` works too. */
export const LATE_VERDICT_FILTER = 'late';

/** A late-verdict event says so in its verdict field ('late-verdict' or 'late') or in a `type` field. */
function isLateVerdictEvent(event: ScanEvent): boolean {
  return event.verdict === 'late-verdict' || event.verdict === 'late' || (event as { type?: unknown }).type === 'late-verdict';
}

function verdictMatches(event: ScanEvent, wanted: string): boolean {
  if (wanted === LATE_VERDICT_FILTER || wanted === 'late-verdict') return isLateVerdictEvent(event);
  return event.verdict === wanted;
}

export function readEvents(path: string, filter: EventFilter = {}): ScanEvent[] {
  if (!existsSync(path)) return [];
  return parseLines(readFileSync(path, 'utf8')).filter((event) => matchesFilter(event, filter));
}

function parseLines(text: string): ScanEvent[] {
  return text.split('\n').map(parseLine).filter((event): event is ScanEvent => event !== undefined);
}

function parseLine(line: string): ScanEvent | undefined {
  if (!line.trim()) return undefined;
  try {
    return JSON.parse(line) as ScanEvent;
  } catch {
    return undefined; // a line cut short by a crash: skip it
  }
}

/** Calls onEvent for every event appended after `fromOffset` (polling; stops when the signal aborts). */
export function followEvents(path: string, fromOffset: number, filter: EventFilter, onEvent: (event: ScanEvent) => void, signal: AbortSignal): Promise<void> {
  return followLines(path, fromOffset, (line) => {
    const event = parseLine(line);
    if (event && matchesFilter(event, filter)) onEvent(event);
  }, signal);
}
