// Pure edits of a rule list in its raw (YAML) form, as the `inboxguard rules` commands make them.
// Rules of all levels share one list; only the order among the rules of one level matters, so
// positions here are 1-based positions within a level, and moves never cross into another level.
import { LEVELS, type Level } from './types.js';

/** A problem with the requested edit (not with a rule's content, which parseRules reports). One line. */
export class RuleEditError extends Error {
  override name = 'RuleEditError';
}

export type RawEntry = Record<string, unknown>;

function isRecord(value: unknown): value is RawEntry {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function idOf(entry: unknown): string | undefined {
  return isRecord(entry) && typeof entry.id === 'string' ? entry.id : undefined;
}

export function levelOf(entry: unknown): Level | undefined {
  const level = isRecord(entry) ? entry.level : undefined;
  return LEVELS.find((known) => known === level);
}

/** Index of the rule with this id in the list, or -1. */
export function findRuleIndex(rules: readonly unknown[], id: string): number {
  return rules.findIndex((entry) => idOf(entry) === id);
}

/** List indices of the rules of one level, in evaluation order. */
export function levelIndices(rules: readonly unknown[], level: Level): number[] {
  return rules.flatMap((entry, index) => (levelOf(entry) === level ? [index] : []));
}

/** The 1-based position of the rule at `index` within its level. */
export function positionInLevel(rules: readonly unknown[], index: number): number {
  const level = levelOf(rules[index]);
  if (level === undefined) throw new RuleEditError(`rule ${index + 1} has no valid level`);
  return levelIndices(rules, level).indexOf(index) + 1;
}

/**
 * Where a new rule of `level` goes in the list so it becomes `position` (1-based) within its level;
 * without a position it goes last in its level (at the end of the list).
 */
export function insertionIndex(rules: readonly unknown[], level: Level, position?: number): number {
  const indices = levelIndices(rules, level);
  if (position === undefined || position === indices.length + 1) return rules.length;
  if (!Number.isInteger(position) || position < 1 || position > indices.length + 1) {
    throw new RuleEditError(`--position ${position}: level ${level} has ${describeCount(indices.length)}, so a new rule can go at 1 to ${indices.length + 1}`);
  }
  return indices[position - 1];
}

export type MoveTarget = { up: true } | { down: true } | { to: number };

export interface PlannedMove {
  /** List index of the rule now. */
  from: number;
  /** List index to insert it at after taking it out (see moveItem). */
  to: number;
  /** 1-based positions within the level, before and after. */
  fromPosition: number;
  toPosition: number;
  level: Level;
}

/** Plans moving the rule at list index `index` inside its level; refuses anything that would leave the level. */
export function planMove(rules: readonly unknown[], index: number, target: MoveTarget): PlannedMove {
  const level = levelOf(rules[index]);
  const id = idOf(rules[index]) ?? `rule ${index + 1}`;
  if (level === undefined) throw new RuleEditError(`${id} has no valid level`);
  const indices = levelIndices(rules, level);
  const fromPosition = indices.indexOf(index) + 1;
  const count = indices.length;
  const across = 'rules only move within their level; to change the level, remove the rule and add it again';
  let toPosition: number;
  if ('up' in target) {
    if (fromPosition === 1) throw new RuleEditError(`${id} is already first in level ${level}; ${across}`);
    toPosition = fromPosition - 1;
  } else if ('down' in target) {
    if (fromPosition === count) throw new RuleEditError(`${id} is already last in level ${level}; ${across}`);
    toPosition = fromPosition + 1;
  } else {
    toPosition = target.to;
    if (!Number.isInteger(toPosition) || toPosition < 1 || toPosition > count) {
      throw new RuleEditError(`--to ${target.to}: level ${level} has ${describeCount(count)} (positions 1 to ${count}); ${across}`);
    }
  }
  return { from: index, to: indices[toPosition - 1], fromPosition, toPosition, level };
}

/** A copy of `items` with the item at `from` taken out and inserted at `to` (an index into the shortened list). */
export function moveItem<T>(items: readonly T[], from: number, to: number): T[] {
  const copy = [...items];
  const [item] = copy.splice(from, 1);
  copy.splice(to, 0, item);
  return copy;
}

/**
 * The rule a file given to `rules edit` describes, merged with the rule it replaces: the id always stays;
 * `level` and `enabled` stay when the file leaves them out. A different id or level is refused.
 */
export function replacementRule(current: RawEntry, replacement: unknown, source: string): RawEntry {
  if (!isRecord(replacement)) throw new RuleEditError(`${source}: expected one rule (a mapping with name, level, conditions, actions)`);
  const id = idOf(current);
  if (replacement.id !== undefined && replacement.id !== id) {
    throw new RuleEditError(`${source}: id ${JSON.stringify(replacement.id)} differs from the rule being edited (${id}); ids never change, leave the id out`);
  }
  if (replacement.level !== undefined && replacement.level !== current.level) {
    throw new RuleEditError(
      `${source}: changing the level of ${id} (${String(current.level)} → ${String(replacement.level)}) is not supported; remove the rule and add it again with the new level`,
    );
  }
  const { id: _id, level: _level, enabled: _enabled, ...rest } = replacement;
  return {
    id,
    ...('name' in rest ? { name: rest.name } : {}),
    level: current.level,
    enabled: replacement.enabled ?? current.enabled ?? true,
    ...rest,
  };
}

/** Checks a rule a file given to `rules add` describes: one mapping, and any id it sets must be new. */
export function checkNewRule(rules: readonly unknown[], entry: unknown, source: string): RawEntry {
  if (!isRecord(entry)) throw new RuleEditError(`${source}: expected one rule (a mapping with name, level, conditions, actions)`);
  if (entry.id !== undefined) {
    const clash = findRuleIndex(rules, String(entry.id));
    if (clash >= 0) {
      const name = isRecord(rules[clash]) ? ` ("${String(rules[clash].name)}")` : '';
      throw new RuleEditError(`${source}: id ${String(entry.id)} is already used by another rule${name}; leave the id out to get a new one`);
    }
  }
  return entry;
}

function describeCount(count: number): string {
  return count === 1 ? '1 rule' : `${count} rules`;
}
