// `inboxguard logs`: the last lines of the proxy log, readable (or as JSON lines), and with --follow
// the lines written after them until Ctrl-C.
import { existsSync } from 'node:fs';
import { logFilePath, readableLogLine } from '../store/log.js';
import { UserError } from '../user-error.js';
import { followLines, lastLines } from '../store/line-file-tail.js';

export async function printLog(dataDir: string, options: { count: number; follow: boolean; json: boolean }): Promise<void> {
  const path = logFilePath(dataDir);
  if (!existsSync(path)) throw new UserError(`no log yet at ${path}: inboxguard writes it once it has been started (inboxguard start, or inboxguard service install)`);
  const print = (line: string) => console.log(options.json ? line : readableLogLine(line, true));
  const { lines, offset } = lastLines(path, options.count);
  lines.forEach(print);
  if (!options.follow) return;
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  await followLines(path, offset, print, stop.signal);
}
