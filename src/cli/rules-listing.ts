// What `inboxguard rules list` shows: rules grouped by level in evaluation order, with their hit counters.
import type { RuleHits } from '../store/rule-hits.js';
import { LEVELS, type Level, type Rule } from '../rules/index.js';
import { formatTable } from './text-table.js';

export interface ListedRule {
  level: Level;
  /** 1-based position within the level: the evaluation order. */
  position: number;
  id: string;
  name: string;
  enabled: boolean;
  hits: number;
  lastHit: string | null;
  /** The rule as written in the config (conditions and actions in YAML shape). */
  conditions: unknown;
  actions: unknown;
}

/** `parsed` and `raw` are the same list (parseRules' output and its input). */
export function listedRules(parsed: readonly Rule[], raw: readonly unknown[], hits: ReadonlyMap<string, RuleHits>): ListedRule[] {
  return LEVELS.flatMap((level) =>
    parsed
      .map((rule, index) => ({ rule, source: raw[index] as { conditions?: unknown; actions?: unknown } }))
      .filter(({ rule }) => rule.level === level)
      .map(({ rule, source }, index) => {
        const counter = hits.get(rule.id);
        return {
          level,
          position: index + 1,
          id: rule.id,
          name: rule.name,
          enabled: rule.enabled,
          hits: counter?.hits ?? 0,
          lastHit: counter?.lastHit ?? null,
          conditions: source.conditions ?? [],
          actions: source.actions,
        };
      }),
  );
}

/** A text table, one row per rule, levels in evaluation order. */
export function formatRulesTable(rules: readonly ListedRule[]): string[] {
  const header = ['LEVEL', '#', 'ENABLED', 'HITS', 'LAST HIT', 'ID', 'NAME'];
  const rows = rules.map((rule) => [rule.level, String(rule.position), rule.enabled ? 'yes' : 'no', String(rule.hits), rule.lastHit ?? '-', rule.id, rule.name]);
  return formatTable(header, rows, new Set([1, 3]));
}
