import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
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
function readableConsole(): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line) process.stderr.write(`${readableLogLine(line)}\n`);
      }
      done();
    },
  });
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
  const time = at.toTimeString().slice(0, 8);
  const date = withDate ? `${at.getFullYear()}-${String(at.getMonth() + 1).padStart(2, '0')}-${String(at.getDate()).padStart(2, '0')} ` : '';
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${date}${time} ${(LEVELS[Number(record.level)] ?? 'LOG').padEnd(5)} ${record.msg ?? ''}${fields ? ` ${fields}` : ''}`;
}
