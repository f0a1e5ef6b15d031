import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDuration } from '../duration.js';
import { eventsPath, followEvents, readEvents, type EventFilter, type ScanEvent } from '../store/events.js';
import { UserError } from '../user-error.js';
import { cliContext } from './context.js';

export function registerEventsCommand(program: Command): void {
  program
    .command('events')
    .description('show scan decisions (one per scanned message)')
    .option('--since <duration>', 'only events newer than this, e.g. 1h, 7d')
    .option('--verdict <verdict>', "only this verdict, e.g. infected; 'late' lists verdicts of stage-2 analysis that came after the message was released")
    .option('--follow', 'keep printing new events as they happen')
    .option('--json', 'one JSON object per line')
    .action(async (options: { since?: string; verdict?: string; follow?: boolean; json?: boolean }, command: Command) => {
      const path = eventsPath(cliContext(command).dataDir);
      let filter: EventFilter;
      try {
        filter = { sinceMs: options.since ? parseDuration(options.since) : undefined, verdict: options.verdict };
      } catch (error) {
        throw new UserError(`--since: ${(error as Error).message}`);
      }
      const print = (event: ScanEvent) => console.log(options.json ? JSON.stringify(event) : readable(event));
      const offset = existsSync(path) ? statSync(path).size : 0;
      for (const event of readEvents(path, filter)) print(event);
      if (!options.follow) return;
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      await followEvents(path, offset, filter, print, stop.signal);
    });
}

function readable(event: ScanEvent): string {
  // Late-verdict events (#14) need not carry every field of a scan event.
  const detections = (event.detections ?? []).map((finding) => `${finding.name} (${finding.engine}${finding.location.length ? ` in ${finding.location.join('/')}` : ''})`).join(', ');
  const who = [event.listener, event.user, event.mailbox && `${event.mailbox}${event.uid !== undefined ? `#${event.uid}` : ''}`].filter(Boolean).join(' ');
  return `${event.time}  ${String(event.verdict).padEnd(13)} ${(event.actions ?? []).join('+') || 'none'}  ${who}  ${event.subject ?? ''}${detections ? `  [${detections}]` : ''}`;
}
