import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { needsClientApplication } from '../../../src/proxy/application-needed.js';
import { DEFAULT_RULES, parseRules, rulesReadField } from '../../../src/rules/index.js';

const config = (settings: Record<string, unknown>) => configSchema.parse({ listeners: [], ...settings });

const rule = (id: string, conditions: unknown[], extra: Record<string, unknown> = {}) => ({ id, name: id, level: 'filtering', conditions, actions: ['skip-scan'], ...extra });

describe('is the client program needed?', () => {
  it('not with the shipped defaults and no exclusions', () => {
    assert.equal(needsClientApplication(config({})), false);
    assert.equal(rulesReadField(parseRules([...DEFAULT_RULES], 'rules.transport'), 'filtering', 'application'), false);
  });

  it('an application exclusion needs it (an entry may name an executable)', () => {
    assert.equal(needsClientApplication(config({ exclusions: { applications: ['thunderbird'] } })), true);
    assert.equal(needsClientApplication(config({ exclusions: { ips: ['127.0.0.2'] } })), false);
  });

  it('a transport rule testing `application`, also inside any/not, needs it; a disabled one or a mailbox-scan rule does not', () => {
    const on = (conditions: unknown[], extra?: Record<string, unknown>) => needsClientApplication(config({ rules: { transport: [rule('r-1', conditions, extra)] } }));
    assert.equal(on([{ field: 'application', op: 'is', value: 'thunderbird' }]), true);
    assert.equal(on([{ any: [{ field: 'subject', op: 'contains', value: 'x' }, { not: { field: 'application', op: 'is', value: 'mutt' } }] }]), true);
    assert.equal(on([{ field: 'subject', op: 'contains', value: 'application' }]), false);
    assert.equal(on([{ field: 'application', op: 'is', value: 'thunderbird' }], { enabled: false }), false);
    assert.equal(needsClientApplication(config({ rules: { transport: [], mailboxScan: [rule('r-2', [{ field: 'application', op: 'is', value: 'x' }])] } })), false);
  });

  it('decided once per configuration object', () => {
    const settings = config({ exclusions: { applications: ['mutt'] } });
    assert.equal(needsClientApplication(settings), true);
    settings.exclusions.applications = [];
    assert.equal(needsClientApplication(settings), true, 'a reload makes a new object; this one keeps its answer');
    assert.equal(needsClientApplication(config({})), false);
  });
});
