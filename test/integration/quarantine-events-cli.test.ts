import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EventLog, eventsPath } from '../../src/store/events.js';
import { Quarantine, quarantineDir } from '../../src/store/quarantine.js';
import { runCli, startCli } from '../helpers/cli.js';

const home = mkdtempSync(join(tmpdir(), 'inboxguard-qe-cli-'));
after(() => rmSync(home, { recursive: true, force: true }));
const detections = [{ engine: 'builtin' as const, name: 'Eicar-Test-Signature', kind: 'signature' as const, location: ['eicar.com'] }];

describe('inboxguard quarantine and events', () => {
  it('quarantine list/show/export/delete/purge', async () => {
    const quarantine = new Quarantine(quarantineDir(home));
    const old = await quarantine.store(Buffer.from('Subject: old\r\n\r\nx\r\n'), { verdict: 'infected', detections, action: 'strip', subject: 'old' }, new Date(Date.now() - 40 * 86_400_000));
    const fresh = await quarantine.store(Buffer.from('Subject: new\r\n\r\ny\r\n'), { verdict: 'infected', detections, action: 'strip', subject: 'new' });
    const listed = await runCli(['quarantine', 'list'], home);
    assert.match(listed.stdout, new RegExp(`${old.id} .*strip .*Eicar-Test-Signature  old`));
    assert.deepEqual((JSON.parse((await runCli(['quarantine', 'list', '--json'], home)).stdout) as { id: string }[]).map((record) => record.id), [old.id, fresh.id]);
    assert.equal((JSON.parse((await runCli(['quarantine', 'show', fresh.id], home)).stdout) as { subject: string }).subject, 'new');
    assert.equal((await runCli(['quarantine', 'export', fresh.id, '--out', join(home, 'out.eml')], home)).code, 0);
    assert.equal(readFileSync(join(home, 'out.eml'), 'utf8'), 'Subject: new\r\n\r\ny\r\n');
    assert.match((await runCli(['quarantine', 'purge', '--older-than', '30d'], home)).stdout, /Deleted 1 quarantined message older than 30d/);
    const unknown = await runCli(['quarantine', 'show', old.id], home);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^inboxguard: no quarantined message with id/);
    assert.equal((await runCli(['quarantine', 'delete', fresh.id], home)).code, 0);
    assert.match((await runCli(['quarantine', 'list'], home)).stdout, /The quarantine is empty/);
  });

  it('events filters by age and verdict, and --follow prints new events as they are written', async () => {
    const log = new EventLog(eventsPath(home));
    log.append({ verdict: 'clean', detections: [], actions: [], bytes: 10, scanMs: 1, subject: 'hello' }, new Date(Date.now() - 3 * 3_600_000));
    log.append({ verdict: 'infected', detections, actions: ['strip'], bytes: 20, scanMs: 2, subject: 'bad', listener: 'work', user: 'alice' });
    const recent = await runCli(['events', '--since', '1h', '--json'], home);
    assert.deepEqual(recent.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { verdict: string }).verdict), ['infected']);
    const readable = await runCli(['events', '--verdict', 'infected'], home);
    assert.match(readable.stdout, /infected +strip +work alice +bad +\[Eicar-Test-Signature \(builtin in eicar\.com\)\]/);
    assert.match((await runCli(['events', '--since', 'soon'], home)).stderr, /^inboxguard: --since: "soon" is not a duration/);

    const follower = startCli(['events', '--follow', '--json', '--verdict', 'infected'], home);
    let out = '';
    follower.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const waitFor = async (count: number) => {
      for (let tries = 0; tries < 100 && out.trim().split('\n').filter(Boolean).length < count; tries++) await new Promise((resolve) => setTimeout(resolve, 100));
    };
    await waitFor(1);
    log.append({ verdict: 'clean', detections: [], actions: [], bytes: 1, scanMs: 1 });
    log.append({ verdict: 'infected', detections, actions: ['strip'], bytes: 30, scanMs: 3, subject: 'later' });
    await waitFor(2);
    follower.kill('SIGTERM');
    const subjects = out.trim().split('\n').map((line) => (JSON.parse(line) as { subject?: string }).subject);
    assert.deepEqual(subjects, ['bad', 'later']);
  });
});
