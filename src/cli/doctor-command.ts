import type { Command } from 'commander';
import { cliContext } from './context.js';

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check the setup: configuration, ports, CA key, upstreams, clamd, scan workers, and an end-to-end self-test per listener')
    .option('--json', 'print the report as JSON: { ok, checks: [{ check, ok, title, detail, fix? }] }')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { dataDir, configPath } = cliContext(command);
      const { runDoctor, formatCheckLine } = await import('../doctor/run-doctor.js');
      // Lines appear as each check finishes: the self-test takes a few seconds per listener.
      const report = await runDoctor({ dataDir, configPath }, undefined, options.json ? undefined : (line) => console.log(formatCheckLine(line)));
      if (options.json) console.log(JSON.stringify(report, null, 2));
      process.exitCode = report.ok ? 0 : 1;
    });
}
