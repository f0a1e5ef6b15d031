// `inboxguard rules …` driven through the real CLI on temporary data dirs; no servers needed.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { RuleHitStore } from '../../src/store/rule-hits.js';
import { assertRefused, runCli, type CliResult } from '../helpers/cli.js';
import type { ListedRule } from '../../src/cli/rules-listing.js';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'inboxguard-rules-'));
  dirs.push(dir);
  return dir;
}
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function assertOk(result: CliResult): void {
  assert.equal(result.code, 0, `exit ${result.code}; stderr: ${result.stderr}`);
}

/** `rules list --json` prints ListedRule objects. */
type Listed = ListedRule;

async function listJson(home: string, ...extra: string[]): Promise<Listed[]> {
  const result = await runCli(['rules', 'list', '--json', ...extra], home);
  assertOk(result);
  return JSON.parse(result.stdout) as Listed[];
}

const order = (rules: Listed[], level: string) => rules.filter((rule) => rule.level === level).map((rule) => rule.id);
const DEFAULT_ATTACHMENT = ['r-default-1', 'r-default-2', 'r-default-3', 'r-default-4'];

function configRules(home: string, layer = 'transport'): { id: string; name: string; level: string; enabled?: boolean }[] {
  return (parse(readFileSync(join(home, 'config.yaml'), 'utf8')) as { rules: Record<string, never[]> }).rules[layer];
}

function writeRule(home: string, name: string, text: string): string {
  const path = join(home, name);
  writeFileSync(path, text);
  return path;
}

/** A config file with comments and a custom rule list, to check edits keep the rest byte for byte. */
const CONFIG = `# my settings
listeners: []   # none yet
rules:
  transport:
    # first the filtering rule
    - id: r-filter-1
      name: Skip huge mail
      level: filtering
      conditions: [{ field: size, op: '>', value: 100MB }]
      actions: [skip-scan, log]
    - id: r-att-1
      name: First attachment rule
      level: attachment
      actions: [log]
    - id: r-att-2
      name: Second attachment rule
      level: attachment
      actions: [log]
    - id: r-att-3
      name: Third attachment rule
      level: attachment
      actions: [log]
    - id: r-res-1
      name: Result rule
      level: result
      actions: [log]
`;

function customHome(): { home: string; configPath: string } {
  const home = dataDir();
  const configPath = join(home, 'config.yaml');
  writeFileSync(configPath, CONFIG);
  return { home, configPath };
}

// Each test has its own data dirs and no server: two at a time keep both cores busy while one waits for a CLI to start.
describe('inboxguard rules', { concurrency: 2 }, () => {
  it('list shows the shipped defaults by level, as text and JSON, without creating any file', async () => {
    const home = dataDir();
    const text = await runCli(['rules', 'list'], home);
    assertOk(text);
    assert.match(text.stdout, /uses the shipped default rules/);
    const lines = text.stdout.trimEnd().split('\n');
    assert.match(lines[1], /^LEVEL\s+#\s+ENABLED\s+HITS\s+LAST HIT\s+ID\s+NAME$/);
    assert.match(lines[2], /^attachment\s+1\s+yes\s+0\s+-\s+r-default-1\s+Strip detected threats$/);
    assert.match(lines[6], /^result\s+1\s+yes\s+0\s+-\s+r-default-5\s+Mark messages that could not be fully checked$/);

    const json = await listJson(home);
    assert.deepEqual(order(json, 'attachment'), DEFAULT_ATTACHMENT);
    assert.deepEqual(order(json, 'result'), ['r-default-5']);
    assert.deepEqual(
      json.map((rule) => rule.position),
      [1, 2, 3, 4, 1],
    );
    assert.deepEqual(json[0], {
      level: 'attachment',
      position: 1,
      id: 'r-default-1',
      name: 'Strip detected threats',
      enabled: true,
      hits: 0,
      lastHit: null,
      conditions: [{ field: 'part-verdict', op: 'in', value: ['infected', 'archive-limit'] }],
      actions: ['delete-attachment', 'log'],
    });
    assert.equal(existsSync(join(home, 'config.yaml')), false);
    assert.equal(existsSync(join(home, 'state.db')), false);
  });

  it('add from flags keeps the default rules, prints the new id and places the rule in its level', async () => {
    const home = dataDir();
    const added = await runCli(
      ['rules', 'add', '--name', 'Strip big executables', '--level', 'attachment', '--if', 'extension in exe,scr', '--if', 'size > 10MB',
        '--action', 'delete-attachment', '--action', 'add-header=X-Removed:exe', '--action', 'log', '--position', '2'],
      home,
    );
    assertOk(added);
    const id = /^Added rule (r-[0-9a-f]{8}) "Strip big executables" to the transport layer \(attachment, position 2\)\.$/m.exec(added.stdout)?.[1];
    assert.ok(id, added.stdout);
    const json = await listJson(home);
    assert.deepEqual(order(json, 'attachment'), ['r-default-1', id, 'r-default-2', 'r-default-3', 'r-default-4']);
    assert.deepEqual(order(json, 'result'), ['r-default-5']);
    const stored = configRules(home).find((rule) => rule.id === id);
    assert.deepEqual(stored, {
      id,
      name: 'Strip big executables',
      level: 'attachment',
      enabled: true,
      conditions: [
        { field: 'extension', op: 'in', value: ['exe', 'scr'] },
        { field: 'size', op: '>', value: '10MB' },
      ],
      actions: ['delete-attachment', { 'add-header': { name: 'X-Removed', value: 'exe' } }, 'log'],
    });

    const disabled = await runCli(['rules', 'add', '--name', 'Tag newsletters', '--level', 'filtering', '--if', 'header:List-Id contains news', '--action', 'tag-subject=[news]', '--disabled'], home);
    assertOk(disabled);
    const filtering = (await listJson(home)).filter((rule) => rule.level === 'filtering');
    assert.equal(filtering.length, 1);
    assert.equal(filtering[0].enabled, false);
    assert.equal(filtering[0].position, 1);

    const config = await runCli(['config', 'validate'], home);
    assertOk(config);
  });

  it('add from a file: the file may name a new id but not one in use', async () => {
    const { home } = customHome();
    const file = writeRule(home, 'rule.yaml', 'name: Quarantine from a domain\nlevel: filtering\nconditions:\n  - { field: from-domain, op: in, value: [bad.example] }\nactions: [quarantine, log]\n');
    const added = await runCli(['rules', 'add', '--file', file, '--position', '1'], home);
    assertOk(added);
    const id = /Added rule (r-[0-9a-f]{8}) /.exec(added.stdout)?.[1];
    assert.ok(id);
    assert.deepEqual(order(await listJson(home), 'filtering'), [id, 'r-filter-1']);

    const named = writeRule(home, 'named.yaml', 'id: r-my-rule\nname: Mine\nlevel: result\nactions: [log]\n');
    assertOk(await runCli(['rules', 'add', '--file', named], home));
    assert.deepEqual(order(await listJson(home), 'result'), ['r-res-1', 'r-my-rule']);

    const before = readFileSync(join(home, 'config.yaml'));
    const clash = writeRule(home, 'clash.yaml', 'id: r-att-2\nname: Clash\nlevel: result\nactions: [log]\n');
    assertRefused(await runCli(['rules', 'add', '--file', clash], home), /id r-att-2 is already used by another rule \("Second attachment rule"\)/);
    assertRefused(await runCli(['rules', 'add', '--file', named, '--name', 'x'], home), /either with --file or with --name/);
    assert.deepEqual(readFileSync(join(home, 'config.yaml')), before);
    assert.match(before.toString(), /^# my settings\nlisteners: \[\] +# none yet\n/, 'comments kept');
    assert.match(before.toString(), /# first the filtering rule\n/);
  });

  it('edit replaces a rule keeping its id, enabled flag and level; a level change is refused', async () => {
    const { home, configPath } = customHome();
    assertOk(await runCli(['rules', 'disable', 'r-att-2'], home));
    const file = writeRule(home, 'edit.yaml', 'name: Strip scripts\nconditions:\n  - { field: detected-type, op: in, value: [script-js, script-vbs] }\nactions: [delete-attachment]\n');
    const edited = await runCli(['rules', 'edit', 'r-att-2', '--file', file], home);
    assertOk(edited);
    assert.match(edited.stdout, /Replaced rule r-att-2 "Strip scripts"/);
    const json = await listJson(home);
    assert.deepEqual(order(json, 'attachment'), ['r-att-1', 'r-att-2', 'r-att-3']);
    const rule = json.find((entry) => entry.id === 'r-att-2');
    assert.equal(rule?.name, 'Strip scripts');
    assert.equal(rule?.enabled, false);

    const before = readFileSync(configPath);
    const moved = writeRule(home, 'level.yaml', 'name: Elsewhere\nlevel: result\nactions: [log]\n');
    assertRefused(await runCli(['rules', 'edit', 'r-att-2', '--file', moved], home), /changing the level of r-att-2 \(attachment → result\) is not supported; remove the rule and add it again/);
    const otherId = writeRule(home, 'id.yaml', 'id: r-other\nname: x\nlevel: attachment\nactions: [log]\n');
    assertRefused(await runCli(['rules', 'edit', 'r-att-2', '--file', otherId], home), /id "r-other" differs from the rule being edited \(r-att-2\)/);
    assertRefused(await runCli(['rules', 'edit', 'r-nope', '--file', file], home), /no rule with id r-nope in the transport layer/);
    assert.deepEqual(readFileSync(configPath), before);
  });

  it('enable, disable and remove; unknown ids are refused with one line', async () => {
    const home = dataDir();
    const disabled = await runCli(['rules', 'disable', 'r-default-4'], home);
    assertOk(disabled);
    assert.match(disabled.stdout, /r-default-4 "Log encrypted archives" is now disabled/);
    assert.equal(configRules(home).length, 5, 'the defaults were written along with the change');
    assert.equal((await listJson(home)).find((rule) => rule.id === 'r-default-4')?.enabled, false);
    assert.match((await runCli(['rules', 'disable', 'r-default-4'], home)).stdout, /already disabled; nothing changed/);
    assertOk(await runCli(['rules', 'enable', 'r-default-4'], home));
    assert.equal((await listJson(home)).find((rule) => rule.id === 'r-default-4')?.enabled, true);

    const removed = await runCli(['rules', 'remove', 'r-default-2'], home);
    assertOk(removed);
    assert.match(removed.stdout, /Removed rule r-default-2 "Strip executables and scripts"/);
    assert.deepEqual(order(await listJson(home), 'attachment'), ['r-default-1', 'r-default-3', 'r-default-4']);

    const before = readFileSync(join(home, 'config.yaml'));
    for (const args of [['remove', 'r-default-2'], ['enable', 'r-nope'], ['disable', 'r-nope'], ['move', 'r-nope', '--up'], ['reset-hits', 'r-nope']]) {
      assertRefused(await runCli(['rules', ...args], home), /no rule with id r-\S+ in the transport layer/);
    }
    assert.deepEqual(readFileSync(join(home, 'config.yaml')), before);
  });

  it('move --up, --down and --to reorder within the level; leaving the level is refused and changes nothing', async () => {
    const { home, configPath } = customHome();
    assertOk(await runCli(['rules', 'move', 'r-att-3', '--up'], home));
    assert.deepEqual(order(await listJson(home), 'attachment'), ['r-att-1', 'r-att-3', 'r-att-2']);
    assertOk(await runCli(['rules', 'move', 'r-att-1', '--down'], home));
    assert.deepEqual(order(await listJson(home), 'attachment'), ['r-att-3', 'r-att-1', 'r-att-2']);
    const moved = await runCli(['rules', 'move', 'r-att-2', '--to', '1'], home);
    assertOk(moved);
    assert.match(moved.stdout, /Moved rule r-att-2 in level attachment from position 3 to 1\./);
    const json = await listJson(home);
    assert.deepEqual(order(json, 'attachment'), ['r-att-2', 'r-att-3', 'r-att-1']);
    assert.deepEqual(order(json, 'filtering'), ['r-filter-1']);
    assert.deepEqual(order(json, 'result'), ['r-res-1']);
    assert.match(readFileSync(configPath, 'utf8'), /# first the filtering rule\n\s+- id: r-filter-1/, 'comments stay with their rule');

    const before = readFileSync(configPath);
    assertRefused(await runCli(['rules', 'move', 'r-att-1', '--to', '4'], home), /--to 4: level attachment has 3 rules \(positions 1 to 3\); rules only move within their level/);
    assertRefused(await runCli(['rules', 'move', 'r-att-2', '--up'], home), /r-att-2 is already first in level attachment/);
    assertRefused(await runCli(['rules', 'move', 'r-res-1', '--down'], home), /r-res-1 is already last in level result/);
    assertRefused(await runCli(['rules', 'move', 'r-att-1', '--to', '0'], home), /--to 0: expected a position/);
    assertRefused(await runCli(['rules', 'move', 'r-att-1', '--up', '--to', '2'], home), /exactly one of --up, --down or --to/);
    assert.deepEqual(readFileSync(configPath), before);
  });

  it('list shows hit counters; reset-hits resets one rule or the whole layer; remove drops the counter', async () => {
    const home = dataDir();
    const store = RuleHitStore.open(home);
    store.record('transport', [{ ruleId: 'r-default-1', count: 3 }, { ruleId: 'r-default-2', count: 1 }], new Date('2025-03-04T05:06:07Z'));
    store.record('transport', [{ ruleId: 'r-default-5', count: 2 }]);
    store.record('mailboxScan', [{ ruleId: 'r-default-1', count: 7 }]);
    store.close();

    const json = await listJson(home);
    const hits = Object.fromEntries(json.map((rule) => [rule.id, rule.hits]));
    assert.deepEqual(hits, { 'r-default-1': 3, 'r-default-2': 1, 'r-default-3': 0, 'r-default-4': 0, 'r-default-5': 2 });
    assert.equal(json[0].lastHit, '2025-03-04T05:06:07.000Z');
    assert.match((await runCli(['rules', 'list'], home)).stdout, /attachment\s+1\s+yes\s+3\s+2025-03-04T05:06:07.000Z\s+r-default-1/);
    assert.equal((await listJson(home, '--layer', 'mailbox-scan'))[0].hits, 7);

    const one = await runCli(['rules', 'reset-hits', 'r-default-1'], home);
    assertOk(one);
    assert.match(one.stdout, /Reset the hit counter of r-default-1\./);
    assert.match((await runCli(['rules', 'reset-hits', 'r-default-3'], home)).stdout, /r-default-3 had no hits; nothing to reset/);
    assert.equal((await listJson(home)).find((rule) => rule.id === 'r-default-1')?.hits, 0);

    assertOk(await runCli(['rules', 'remove', 'r-default-2'], home));
    const all = await runCli(['rules', 'reset-hits', '--all'], home);
    assertOk(all);
    assert.match(all.stdout, /Reset 1 hit counter in the transport layer\./, 'r-default-2 went with its rule, r-default-5 is left');
    assert.ok((await listJson(home)).every((rule) => rule.hits === 0));
    assert.equal((await listJson(home, '--layer', 'mailbox-scan'))[0].hits, 7, 'the other layer keeps its counters');
    assertRefused(await runCli(['rules', 'reset-hits'], home), /give a rule id or --all/);
  });

  it('--layer mailbox-scan edits rules.mailboxScan only', async () => {
    const home = dataDir();
    assertOk(await runCli(['rules', 'add', '--layer', 'mailbox-scan', '--name', 'Log all', '--level', 'result', '--action', 'log'], home));
    assert.equal(configRules(home, 'mailboxScan').length, 6);
    assert.equal((parse(readFileSync(join(home, 'config.yaml'), 'utf8')) as { rules: object }).rules.hasOwnProperty('transport'), false);
    assert.equal((await listJson(home)).length, 5);
    assert.equal((await listJson(home, '--layer', 'mailbox-scan')).length, 6);
    assertRefused(await runCli(['rules', 'list', '--layer', 'mailbox'], home), /--layer mailbox: expected transport or mailbox-scan/);
  });

  it('invalid rules are refused with one line naming the rule, and the config file stays as it was', async () => {
    const { home, configPath } = customHome();
    const fresh = dataDir();
    const before = readFileSync(configPath);
    const cases: [string, RegExp][] = [
      ['name: Typo\nlevel: attachment\nactoins: [log]\nactions: [log]\n', /rules\.transport\[5\] "Typo": unknown key "actoins"/],
      ['name: Unknown field\nlevel: attachment\nconditions: [{ field: subject, op: is, value: x }]\nactions: [log]\n', /rules\.transport\[5\] "Unknown field": conditions\[0\]\.field: unknown field "subject" at level attachment/],
      ['name: Bad regex\nlevel: filtering\nconditions: [{ field: subject, op: matches, value: "(" }]\nactions: [log]\n', /rules\.transport\[5\] "Bad regex": conditions\[0\]\.value: bad regular expression "\("/],
      ['name: Wrong level\nlevel: result\nactions: [delete-attachment]\n', /rules\.transport\[5\] "Wrong level": actions\[0\]: delete-attachment is not allowed at level result \(only attachment\)/],
    ];
    for (const [index, [text, pattern]] of cases.entries()) {
      const file = writeRule(home, `bad-${index}.yaml`, text);
      assertRefused(await runCli(['rules', 'add', '--file', file], home), pattern);
    }
    const badEdit = writeRule(home, 'bad-edit.yaml', 'name: Result rule\nconditions: [{ field: verdict, op: is, value: sick }]\nactions: [log]\n');
    assertRefused(await runCli(['rules', 'edit', 'r-res-1', '--file', badEdit], home), /rules\.transport\[4\] "Result rule": conditions\[0\]\.value: "sick" is not one of clean, infected/);
    assertRefused(await runCli(['rules', 'add', '--name', 'Bad flags', '--level', 'result', '--if', 'verdict is sick', '--action', 'log'], home), /"Bad flags": conditions\[0\]\.value: "sick" is not one of/);
    assertRefused(await runCli(['rules', 'add', '--name', 'No such action', '--level', 'result', '--action', 'explode'], home), /"No such action": actions\[0\]: unknown action/);
    assert.deepEqual(readFileSync(configPath), before);

    // Without a config file, a refused change writes nothing at all.
    const file = writeRule(fresh, 'bad.yaml', cases[2][0]);
    assertRefused(await runCli(['rules', 'add', '--file', file], fresh), /rules\.transport\[5\] "Bad regex"/);
    assert.equal(existsSync(join(fresh, 'config.yaml')), false);
  });
});
