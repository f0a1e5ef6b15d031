// The rule set a fresh install starts with, in YAML shape. It reproduces the fixed policy of
// src/scan/policy.ts (strip infected parts and archives over a limit) and adds the defaults.
// Ids are fixed so the defaults' hit counters survive upgrades.
import { parseRules } from './parse-rules.js';
import type { Rule } from './types.js';

export const DEFAULT_RULES: readonly unknown[] = [
  {
    id: 'r-default-1',
    name: 'Strip detected threats',
    level: 'attachment',
    enabled: true,
    conditions: [{ field: 'part-verdict', op: 'in', value: ['infected', 'archive-limit'] }],
    actions: ['delete-attachment', 'log'],
  },
  {
    id: 'r-default-2',
    name: 'Strip executables and scripts',
    level: 'attachment',
    enabled: true,
    conditions: [
      {
        field: 'detected-type',
        op: 'in',
        value: ['pe', 'elf', 'macho', 'script-js', 'script-vbs', 'script-powershell', 'script-batch', 'hta', 'lnk', 'iso'],
      },
    ],
    actions: ['delete-attachment', 'log'],
  },
  {
    id: 'r-default-3',
    name: 'Strip disguised file names',
    level: 'attachment',
    enabled: true,
    conditions: [{ any: [{ field: 'double-extension' }, { field: 'bidi-name' }] }],
    actions: ['delete-attachment', 'log'],
  },
  {
    id: 'r-default-4',
    name: 'Log encrypted archives',
    level: 'attachment',
    enabled: true,
    conditions: [{ field: 'encrypted', op: 'is', value: true }],
    actions: ['log'],
  },
  {
    id: 'r-default-5',
    name: 'Mark messages that could not be fully checked',
    level: 'result',
    enabled: true,
    conditions: [{ field: 'verdict', op: 'in', value: ['suspicious', 'encrypted', 'malformed', 'too-large', 'error', 'timeout'] }],
    actions: [{ 'add-header': { name: 'X-InboxGuard-Warning', value: 'not fully checked' } }, 'log'],
  },
];

export function defaultRules(): Rule[] {
  return parseRules(structuredClone(DEFAULT_RULES), 'default rules');
}
