// The exclusion, protocol and port commands on a configuration file (no servers needed).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertRefused, runCli } from '../helpers/cli.js';

describe('exclude / protocols / ports commands', () => {
  let dir: string;
  let configPath: string;
  const original = '# my settings\nexclusions:\n  ips: [127.0.0.2] # the test server\n';
  const run = (...args: string[]) => runCli([...args, '--config', configPath], dir);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'inboxguard-exclude-cli-'));
    configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, original);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('bad input: one clear line, exit 2, the file byte for byte unchanged', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['exclude', 'ip', 'add', '10.0.0.0/33'], /prefix length must be 0-32/],
      [['exclude', 'ip', 'add', '10.0.0.300'], /is not an IP address, CIDR block/],
      [['exclude', 'ip', 'add', ''], /empty entry/],
      [['exclude', 'ip', 'add', '10.0.0.9-10.0.0.1'], /starts after it ends/],
      [['exclude', 'app', 'add', ''], /empty entry/],
      [['exclude', 'app', 'remove', 'nothing-here'], /not excluded: nothing-here/],
      [['ports', 'imaps', 'add', '70000'], /"70000" is not a port/],
      [['ports', 'imaps', 'add', '-5'], /"-5" is not a port/],
      [['ports', 'pop3s', 'add', '995,'], /empty entry/],
      [['ports', 'pop3s', 'add', ''], /empty entry/],
      [['ports', 'pop3s', 'remove', '4242'], /4242 not listed/],
      [['protocols', 'disable', 'smtp'], /unknown protocol "smtp"/],
    ];
    for (const [args, message] of cases) {
      assertRefused(await run(...args), message);
      assert.equal(readFileSync(configPath, 'utf8'), original, `${args.join(' ')} left the file alone`);
    }
  });

  it('adds, lists (--json) and removes, keeping the comments', async () => {
    assert.equal((await run('exclude', 'ip', 'add', '::1', '10.0.0.0/8,mail.example.com')).code, 0);
    assert.deepEqual(JSON.parse((await run('exclude', 'ip', 'list', '--json')).stdout), ['127.0.0.2', '::1', '10.0.0.0/8', 'mail.example.com']);
    assert.equal((await run('exclude', 'ip', 'remove', '10.0.0.0/8')).code, 0);
    assert.equal((await run('exclude', 'app', 'add', 'thunderbird', '/usr/bin/mutt')).code, 0);
    assert.deepEqual(JSON.parse((await run('exclude', 'app', 'list', '--json')).stdout), ['thunderbird', '/usr/bin/mutt']);
    assert.equal((await run('exclude', 'app', 'remove', 'thunderbird')).code, 0);
    assert.deepEqual(JSON.parse((await run('exclude', 'app', 'list', '--json')).stdout), ['/usr/bin/mutt']);

    assert.deepEqual(JSON.parse((await run('ports', 'imaps', 'list', '--json')).stdout), [585, 993]);
    assert.equal((await run('ports', 'imaps', 'add', '1993,2993')).code, 0);
    assert.equal((await run('ports', 'imaps', 'remove', '585')).code, 0);
    assert.deepEqual(JSON.parse((await run('ports', 'imaps', 'list', '--json')).stdout), [993, 1993, 2993]);
    assert.deepEqual(JSON.parse((await run('ports', 'pop3s', 'list', '--json')).stdout), [995]);

    assert.deepEqual(JSON.parse((await run('protocols', 'list', '--json')).stdout), { enabled: true, imap: true, imaps: true, pop3: true, pop3s: true });
    assert.equal((await run('protocols', 'disable', 'pop3')).code, 0);
    assert.equal((await run('protocols', 'disable', 'all')).code, 0);
    assert.deepEqual(JSON.parse((await run('protocols', 'list', '--json')).stdout), { enabled: false, imap: true, imaps: true, pop3: false, pop3s: true });
    assert.match((await run('protocols', 'list')).stdout, /protection\tOFF/);
    assert.equal((await run('protocols', 'enable', 'all')).code, 0);
    assert.deepEqual(JSON.parse((await run('protocols', 'list', '--json')).stdout), { enabled: true, imap: true, imaps: true, pop3: true, pop3s: true });

    const text = readFileSync(configPath, 'utf8');
    assert.match(text, /^# my settings/);
    assert.match(text, /# the test server/);
    assert.equal((await run('config', 'validate')).code, 0);
  });
});
