import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
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

/** Appends scan events as JSON lines (0600), one synchronous write per event so none is lost on a crash. */
export class EventLog {
  private dirReady = false;

  constructor(private readonly path: string) {}

  append(event: Omit<ScanEvent, 'time'>, now = new Date()): ScanEvent {
    const full: ScanEvent = { time: now.toISOString(), ...event, subject: truncate(event.subject) };
    if (!this.dirReady) {
      ensurePrivateDir(dirname(this.path));
      this.dirReady = true;
    }
    const fd = openSync(this.path, 'a', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(full)}\n`);
    } finally {
      closeSync(fd);
    }
    return full;
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
