import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { BatchedLogFile } from './batched-log-file.js';


export interface LogOptions {
  dataDir: string;
  /** Human-readable lines on stderr besides the JSON log file. */
  console: boolean;
  level?: string;
}

export function logFilePath(dataDir: string): string {
  return join(dataDir, 'logs', 'inboxguard.log');
}

// Credentials never reach the log in the first place (protocol lines are not logged); redaction is a
// second line of defence against a future field carrying one.
const REDACT = ['password', 'pass', 'secret', 'authorization', '*.password', '*.pass'];

export function createLogger(options: LogOptions): Logger {
  mkdirSync(join(options.dataDir, 'logs'), { recursive: true, mode: 0o700 });
  const file = new BatchedLogFile(logFilePath(options.dataDir));
  const settings = { level: options.level ?? 'debug', redact: { paths: REDACT, censor: '***' } };
  if (!options.console) return pino(settings, file);
  const streams = pino.multistream([
    { stream: file, level: 'debug' },
    { stream: readableConsole(), level: 'info' },
  ]);
  // pino's multistream has flushSync but no flush: logger.flush(cb) would call cb with lines still waiting.
  return pino(settings, Object.assign(streams, { flush: (cb?: () => void) => (streams.flushSync(), cb?.()) }));
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** One readable line per record: "12:00:01 INFO  session closed session=3 reason=…". */
function readableConsole(): { write(chunk: string): boolean } {
  // A plain destination, as pino's multistream takes it: a Writable here converted each line to a Buffer and back.
  return {
    write(chunk) {
      for (const line of chunk.split('\n')) {
        if (line) process.stderr.write(`${readableLogLine(line)}\n`);
      }
      return true;
    },
  };
}

/** A JSON log line as people read it; withDate puts the local date before the time (`inboxguard logs`). A line that is not JSON is returned as it is. */
export function readableLogLine(line: string, withDate = false): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (record === null || typeof record !== 'object') return line;
  const at = new Date(Number(record.time));
  // What toTimeString().slice(0, 8) gives, without formatting the time zone's name each line.
  const time = Number.isNaN(at.getTime()) ? at.toTimeString().slice(0, 8) : `${twoDigits(at.getHours())}:${twoDigits(at.getMinutes())}:${twoDigits(at.getSeconds())}`;
  const date = withDate ? `${at.getFullYear()}-${twoDigits(at.getMonth() + 1)}-${twoDigits(at.getDate())} ` : '';
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${date}${time} ${(LEVELS[Number(record.level)] ?? 'LOG').padEnd(5)} ${record.msg ?? ''}${fields ? ` ${fields}` : ''}`;
}

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}
