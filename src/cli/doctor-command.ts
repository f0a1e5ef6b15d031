import { Option, type Command } from 'commander';
import { cliContext } from './context.js';

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check the setup: configuration, ports, CA key, upstreams, clamd, scan workers, and an end-to-end self-test per listener')
    .option('--json', 'print the report as JSON: { ok, checks: [{ check, ok, title, detail, fix? }] }')
    .addOption(new Option('--home <dir>', 'home directory searched for trust stores (tests)').hideHelp())
    .addOption(new Option('--root <dir>', 'filesystem prefix of the system store (tests)').hideHelp())
    .action(async (options: { json?: boolean; home?: string; root?: string }, command: Command) => {
      const { dataDir, configPath } = cliContext(command);
      const trustScope = { home: options.home, root: options.root };
      const { runDoctor, formatCheckLine } = await import('../doctor/run-doctor.js');
      // Lines appear as each check finishes: the self-test takes a few seconds per listener.
      const report = await runDoctor({ dataDir, configPath, trustScope }, undefined, options.json ? undefined : (line) => console.log(formatCheckLine(line)));
      if (options.json) console.log(JSON.stringify(report, null, 2));
      process.exitCode = report.ok ? 0 : 1;
    });
}
