// `inboxguard holds`: messages the running proxy holds while stage-2 analysis works (#14), through its
// control endpoint.
import type { Command } from 'commander';
import { callControl } from '../control/client.js';
import type { HoldInfo } from '../types/holds.js';
import { cliContext } from './context.js';
import { formatTable, printable } from './text-table.js';

export function registerHoldsCommands(program: Command): void {
  const holds = program.command('holds').description('messages held while a stage-2 analysis runs (asks the running proxy)');
  const dataDir = (command: Command) => cliContext(command).dataDir;

  holds
    .command('list')
    .description('list held messages, with the time left until the maximum wait releases them')
    .option('--json', 'machine-readable output (an array of holds)')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { holds: listed } = (await callControl(dataDir(command), 'GET', '/holds')) as { holds: HoldInfo[] };
      if (options.json) return console.log(JSON.stringify(listed, null, 2));
      if (listed.length === 0) return console.log('No message is on hold.');
      for (const line of formatHoldsTable(listed)) console.log(line);
    });

  holds
    .command('release <id>')
    .description('deliver a held message now as stage 1 left it (the analysis goes on)')
    .action(async (id: string, _options: unknown, command: Command) => {
      await callControl(dataDir(command), 'POST', `/holds/${encodeURIComponent(id)}/release`);
      console.log(`Released ${id}: delivered as stage 1 left it; its analysis goes on.`);
    });

  holds
    .command('block <id>')
    .description('block a held message now: its parts count as a blocking verdict (stored as a manual one)')
    .action(async (id: string, _options: unknown, command: Command) => {
      await callControl(dataDir(command), 'POST', `/holds/${encodeURIComponent(id)}/block`);
      console.log(`Blocked ${id}: its parts count as a blocking verdict, stored as a manual one.`);
    });
}

const SUBJECT_WIDTH = 40;

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function account(hold: HoldInfo): string {
  const user = hold.user ?? '?';
  return hold.upstream ? `${user} (${hold.upstream})` : user;
}

function message(hold: HoldInfo): string {
  if (hold.protocol === 'pop3') return hold.messageNumber !== undefined ? `POP3 #${hold.messageNumber}` : 'POP3';
  return `${hold.mailbox ?? '?'} UID ${hold.uid ?? '?'}`;
}

export function formatHoldsTable(holds: readonly HoldInfo[]): string[] {
  const header = ['ID', 'SESSION', 'ACCOUNT', 'MESSAGE', 'SUBJECT', 'PART', 'BACKEND', 'WAITING SINCE', 'TIME LEFT'];
  const rows = holds.map((hold) => [
    hold.id,
    hold.session !== undefined ? String(hold.session) : '-',
    account(hold),
    message(hold),
    clip(hold.subject ?? '(no subject)', SUBJECT_WIDTH),
    hold.parts.map((part) => part.name).join(', '),
    hold.backends.join(', '),
    hold.since.replace(/\.\d+Z$/, 'Z'),
    `${Math.max(0, Math.round(hold.timeLeftSeconds))}s`,
  ].map(printable));
  return formatTable(header, rows, new Set([1]));
}
