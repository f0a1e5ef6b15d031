import type { Command } from 'commander';
import { parseDuration } from '../duration.js';
import { Quarantine, QuarantineError, quarantineDir, type QuarantineRecord } from '../store/quarantine.js';
import { UserError } from '../user-error.js';
import { cliContext } from './context.js';

export function registerQuarantineCommands(program: Command): void {
  const quarantine = program.command('quarantine').description('originals of messages inboxguard changed or blocked');
  const open = (command: Command) => new Quarantine(quarantineDir(cliContext(command).dataDir));

  quarantine
    .command('list')
    .description('list quarantined messages, oldest first')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }, command: Command) => {
      const records = open(command).list();
      if (options.json) return console.log(JSON.stringify(records, null, 2));
      if (records.length === 0) return console.log('The quarantine is empty.');
      for (const record of records) console.log(summary(record));
    });

  quarantine
    .command('show <id>')
    .description('print what is known about one quarantined message')
    .action((id: string, _options: unknown, command: Command) => {
      console.log(JSON.stringify(userErrors(() => open(command).get(id)), null, 2));
    });

  quarantine
    .command('export <id>')
    .description('write the original message (.eml) to a file')
    .requiredOption('--out <file>', 'where to write it')
    .action((id: string, options: { out: string }, command: Command) => {
      userErrors(() => open(command).exportTo(id, options.out));
      console.log(`Wrote the original of ${id} to ${options.out}`);
    });

  quarantine
    .command('delete <id>')
    .description('delete one quarantined message')
    .action((id: string, _options: unknown, command: Command) => {
      userErrors(() => open(command).delete(id));
      console.log(`Deleted ${id}.`);
    });

  quarantine
    .command('purge')
    .description('delete quarantined messages older than a duration')
    .requiredOption('--older-than <duration>', 'e.g. 30d, 12h')
    .action((options: { olderThan: string }, command: Command) => {
      let maxAge: number;
      try {
        maxAge = parseDuration(options.olderThan);
      } catch (error) {
        throw new UserError(`--older-than: ${(error as Error).message}`);
      }
      const removed = open(command).purge(maxAge);
      console.log(`Deleted ${removed} quarantined message${removed === 1 ? '' : 's'} older than ${options.olderThan}.`);
    });
}

function summary(record: QuarantineRecord): string {
  const names = record.detections.map((finding) => finding.name).join(', ') || record.verdict;
  return `${record.id}  ${record.time}  ${record.action.padEnd(16)} ${names}  ${record.subject ?? '(no subject)'}`;
}

function userErrors<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof QuarantineError) throw new UserError(error.message);
    throw error;
  }
}
