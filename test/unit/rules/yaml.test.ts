import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { evaluateLevel, parseRules } from '../../../src/rules/index.js';
import { attachment } from './facts-fixtures.js';

const YAML = `
- id: r-3f9a1c2e          # generated when missing, never changes afterwards
  name: Strip executables
  level: attachment
  enabled: true
  conditions:
    - { field: detected-type, op: in, value: [pe, elf, macho, script-js, script-vbs, script-powershell, script-batch, hta, lnk, iso] }
    - any:
        - { field: file-name, op: glob, value: "*.exe" }
        - not: { field: size, op: '<', value: 100 }
  actions: [delete-attachment, { add-header: { name: X-Foo, value: bar } }, { tag-subject: "[removed]" }, log]
- id: r-0000beef
  name: Big mail from partners skips the scan
  level: filtering
  conditions:
    - { field: from-domain, op: in, value: [partner.example] }
    - { field: size, op: '>', value: 10MB }
    - { field: upstream-ip, op: in, value: [192.0.2.0/24, "2001:db8::/32"] }
  actions: [skip-scan, log]
`;

describe('rules written in YAML', () => {
  it('parse and evaluate', () => {
    const rules = parseRules(parse(YAML), 'rules.transport');
    assert.deepEqual(
      rules.map((rule) => [rule.id, rule.level, rule.enabled]),
      [
        ['r-3f9a1c2e', 'attachment', true],
        ['r-0000beef', 'filtering', true],
      ],
    );
    const pe = evaluateLevel(rules, 'attachment', attachment({ fileName: 'setup.bin', detectedType: 'pe', size: 50 }));
    assert.equal(pe.applied.length, 0, 'small .bin: neither *.exe nor >= 100 bytes');
    assert.equal(evaluateLevel(rules, 'attachment', attachment({ fileName: 'setup.bin', detectedType: 'pe', size: 500 })).applied.length, 1);
    assert.equal(evaluateLevel(rules, 'attachment', attachment({ fileName: 'x.EXE', detectedType: 'pe', size: 5 })).applied.length, 1);
  });
});
