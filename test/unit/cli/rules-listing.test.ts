import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRulesTable, listedRules } from '../../../src/cli/rules-listing.js';
import { parseRules } from '../../../src/rules/index.js';

describe('rules list output', () => {
  const raw = [
    { id: 'r-res', name: 'Result rule', level: 'result', actions: ['log'] },
    { id: 'r-att2', name: 'Second attachment rule', level: 'attachment', enabled: false, actions: ['log'] },
    { id: 'r-filt', name: 'Filter', level: 'filtering', conditions: [{ field: 'size', op: '>', value: '1MB' }], actions: ['skip-scan'] },
    { id: 'r-att1', name: 'First? no, second in list', level: 'attachment', actions: ['log'] },
  ];
  const hits = new Map([['r-att2', { hits: 12, lastHit: '2025-01-02T03:04:05.000Z' }]]);
  const listed = listedRules(parseRules(raw, 'rules'), raw, hits);

  it('groups by level in evaluation order and numbers rules within their level', () => {
    assert.deepEqual(
      listed.map((rule) => [rule.level, rule.position, rule.id]),
      [
        ['filtering', 1, 'r-filt'],
        ['attachment', 1, 'r-att2'],
        ['attachment', 2, 'r-att1'],
        ['result', 1, 'r-res'],
      ],
    );
    assert.deepEqual(listed[1], {
      level: 'attachment',
      position: 1,
      id: 'r-att2',
      name: 'Second attachment rule',
      enabled: false,
      hits: 12,
      lastHit: '2025-01-02T03:04:05.000Z',
      conditions: [],
      actions: ['log'],
    });
    assert.deepEqual(listed[0].conditions, [{ field: 'size', op: '>', value: '1MB' }], 'conditions as written');
    assert.equal(listed[0].hits, 0);
    assert.equal(listed[0].lastHit, null);
  });

  it('formats an aligned table', () => {
    const lines = formatRulesTable(listed);
    assert.equal(lines.length, 5);
    assert.match(lines[0], /^LEVEL\s+#\s+ENABLED\s+HITS\s+LAST HIT\s+ID\s+NAME$/);
    assert.match(lines[2], /^attachment\s+1\s+no\s+12\s+2025-01-02T03:04:05.000Z\s+r-att2\s+Second attachment rule$/);
    const idColumn = lines[0].indexOf('ID');
    for (const line of lines.slice(1)) assert.equal(line.indexOf(' r-') + 1, idColumn);
  });
});
