// The service definitions each platform gets, checked field by field: the systemd user unit, the
// launchd agent, the schtasks argv, and the install/uninstall plans around them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serviceInvocation } from '../../../src/cli/service/invocation.js';
import { LAUNCHD_LABEL, launchdPlistPath, renderLaunchdPlist } from '../../../src/cli/service/launchd-plist.js';
import { installPlan, statusCommand, uninstallPlan } from '../../../src/cli/service/service-plan.js';
import { quoteSystemdArgument, renderSystemdUnit, systemdUnitPath } from '../../../src/cli/service/systemd-unit.js';
import { quoteWindowsArgument, schtasksCreateArgs, schtasksDeleteArgs } from '../../../src/cli/service/windows-task.js';

const invocation = serviceInvocation({ dataDir: '/home/ann/.inboxguard', nodePath: '/usr/bin/node', execArgv: [], script: '/opt/inboxguard/dist/cli/main.js' });

/** key=value lines of one [section] of a unit file. */
function unitSection(unit: string, section: string): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  const lines = unit.split('\n');
  let inside = false;
  for (const line of lines) {
    if (/^\[.*\]$/.test(line)) inside = line === `[${section}]`;
    else if (inside && line.includes('=')) {
      const [key, ...rest] = line.split('=');
      entries.set(key, [...(entries.get(key) ?? []), rest.join('=')]);
    }
  }
  return entries;
}

describe('service definitions', () => {
  it('the invocation is this node, the proxy\'s node flags, the CLI script, --data-dir and start, all absolute', () => {
    assert.deepEqual(invocation.argv, ['/usr/bin/node', '--max-semi-space-size=1', '/opt/inboxguard/dist/cli/main.js', '--data-dir', '/home/ann/.inboxguard', 'start']);
    const withConfig = serviceInvocation({ dataDir: '/d', configPath: '/etc/ig.yaml', nodePath: '/n', execArgv: ['--enable-source-maps'], script: '/s.js' });
    assert.deepEqual(withConfig.argv, ['/n', '--max-semi-space-size=1', '--enable-source-maps', '/s.js', '--data-dir', '/d', '--config', '/etc/ig.yaml', 'start']);
  });

  it('a bare --import loader is resolved to a file URL, so the unit does not depend on its working directory', () => {
    const fromSource = serviceInvocation({ dataDir: '/d', nodePath: '/n', execArgv: ['--import', 'tsx'], script: '/s.ts' });
    assert.equal(fromSource.argv[2], '--import');
    assert.match(fromSource.argv[3], /^file:\/\/\/.*tsx/);
  });

  it('systemd user unit: ExecStart, Restart=on-failure, WantedBy=default.target', () => {
    const unit = renderSystemdUnit(invocation);
    const service = unitSection(unit, 'Service');
    assert.deepEqual(service.get('ExecStart'), ['/usr/bin/node --max-semi-space-size=1 /opt/inboxguard/dist/cli/main.js --data-dir /home/ann/.inboxguard start']);
    assert.deepEqual(service.get('Restart'), ['on-failure']);
    assert.deepEqual(service.get('Type'), ['simple']);
    assert.deepEqual(unitSection(unit, 'Install').get('WantedBy'), ['default.target']);
    assert.match(unitSection(unit, 'Unit').get('Description')?.[0] ?? '', /inboxguard/);
    assert.equal(systemdUnitPath('/home/ann'), '/home/ann/.config/systemd/user/inboxguard.service');
  });

  it('systemd quoting: spaces and quotes quoted, % and $ doubled', () => {
    assert.equal(quoteSystemdArgument('/plain/path'), '/plain/path');
    assert.equal(quoteSystemdArgument('/home/ann/My Mail'), '"/home/ann/My Mail"');
    assert.equal(quoteSystemdArgument('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(quoteSystemdArgument('100%'), '100%%');
    assert.equal(quoteSystemdArgument('$HOME'), '$$HOME');
  });

  it('launchd agent: label, ProgramArguments in order, RunAtLoad, KeepAlive on failure; XML escaped', () => {
    const plist = renderLaunchdPlist(serviceInvocation({ dataDir: '/Users/a&b/.inboxguard', nodePath: '/usr/local/bin/node', execArgv: [], script: '/x/main.js' }));
    assert.match(plist, new RegExp(`<key>Label</key>\\s*<string>${LAUNCHD_LABEL.replace(/\./g, '\\.')}</string>`));
    assert.match(plist, /<string>\/Users\/a&amp;b\/\.inboxguard<\/string>/);
    assert.doesNotMatch(plist, /a&b/);
    assert.match(plist, /<key>RunAtLoad<\/key>\s*<true\/>/);
    assert.match(plist, /<key>KeepAlive<\/key>\s*<dict>\s*<key>SuccessfulExit<\/key>\s*<false\/>/);
    assert.equal(launchdPlistPath('/Users/ann'), `/Users/ann/Library/LaunchAgents/${LAUNCHD_LABEL}.plist`);
  });

  it('schtasks: /Create at logon with the quoted command line, /F to replace; /Delete by name', () => {
    const windows = serviceInvocation({ dataDir: 'C:\\Users\\Ann Lee\\.inboxguard', nodePath: 'C:\\Program Files\\nodejs\\node.exe', execArgv: [], script: 'C:\\ig\\dist\\cli\\main.js' });
    assert.deepEqual(schtasksCreateArgs(windows), [
      '/Create',
      '/TN',
      'inboxguard',
      '/TR',
      '"C:\\Program Files\\nodejs\\node.exe" --max-semi-space-size=1 C:\\ig\\dist\\cli\\main.js --data-dir "C:\\Users\\Ann Lee\\.inboxguard" start',
      '/SC',
      'ONLOGON',
      '/RL',
      'LIMITED',
      '/F',
    ]);
    assert.deepEqual(schtasksDeleteArgs(), ['/Delete', '/TN', 'inboxguard', '/F']);
    assert.equal(quoteWindowsArgument('C:\\dir with space\\'), '"C:\\dir with space\\\\"');
    assert.equal(quoteWindowsArgument('say "hi"'), '"say \\"hi\\""');
  });

  it('schtasks refuses a command line longer than /TR takes', () => {
    const long = serviceInvocation({ dataDir: `C:\\${'d'.repeat(250)}`, nodePath: 'C:\\node.exe', execArgv: [], script: 'C:\\main.js' });
    assert.throws(() => schtasksCreateArgs(long), /longer than schtasks accepts \(261\)/);
  });

  it('plans: systemd writes the unit, reloads and enables --now; uninstall disables (may fail), removes, reloads', () => {
    const input = { platform: 'linux' as const, home: '/home/ann', uid: 1000 };
    const install = installPlan(input, invocation);
    assert.deepEqual(
      install.steps.map((step) => (step.kind === 'run' ? step.argv.join(' ') : `${step.kind} ${step.path}`)),
      ['write /home/ann/.config/systemd/user/inboxguard.service', 'systemctl --user daemon-reload', 'systemctl --user enable --now inboxguard.service'],
    );
    const uninstall = uninstallPlan(input);
    assert.deepEqual(
      uninstall.steps.map((step) => (step.kind === 'run' ? `${step.argv.join(' ')}${step.mayFail ? ' (may fail)' : ''}` : `${step.kind} ${step.path}`)),
      ['systemctl --user disable --now inboxguard.service (may fail)', 'remove /home/ann/.config/systemd/user/inboxguard.service', 'systemctl --user daemon-reload'],
    );
    assert.deepEqual(statusCommand(input), ['systemctl', '--user', 'is-active', 'inboxguard.service']);
  });

  it('plans: launchd bootstraps the agent into gui/UID; Windows runs schtasks only', () => {
    const mac = installPlan({ platform: 'darwin', home: '/Users/ann', uid: 501 }, invocation);
    assert.deepEqual(mac.steps.at(-1), { kind: 'run', argv: ['launchctl', 'bootstrap', 'gui/501', `/Users/ann/Library/LaunchAgents/${LAUNCHD_LABEL}.plist`] });
    assert.deepEqual(uninstallPlan({ platform: 'darwin', home: '/Users/ann', uid: 501 }).steps[0], { kind: 'run', argv: ['launchctl', 'bootout', `gui/501/${LAUNCHD_LABEL}`], mayFail: true });
    const windows = installPlan({ platform: 'win32', home: 'C:\\Users\\ann', uid: 0 }, invocation);
    assert.equal(windows.file, undefined);
    assert.deepEqual(windows.steps.map((step) => step.kind), ['run']);
    assert.equal((windows.steps[0] as { argv: string[] }).argv[0], 'schtasks');
  });
});
