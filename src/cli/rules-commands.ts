// `inboxguard rules …`: list and edit the rules of a protection layer in the configuration file, and
// read or reset their hit counters (the running proxy counts them in <data-dir>/state.db).
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isSeq, parseDocument, visit, type Document, type Node, type YAMLSeq } from 'yaml';
import { editConfigFile, readRawSetting } from '../config/edit.js';
import { loadConfigAssigningRuleIds, type RuleLayer } from '../config/store.js';
import { DEFAULT_RULES, parseRules, RuleError, type Rule } from '../rules/index.js';
import { ruleFromFlags } from '../rules/rule-from-flags.js';
import {
  checkNewRule,
  findRuleIndex,
  insertionIndex,
  levelOf,
  moveItem,
  planMove,
  positionInLevel,
  replacementRule,
  RuleEditError,
  type RawEntry,
} from '../rules/rule-list-edits.js';
import { ensureIds } from '../rules/ensure-ids.js';
import { RuleHitStore, stateDbPath } from '../store/rule-hits.js';
import { UserError } from '../user-error.js';
import { cliContext } from './context.js';
import { formatRulesTable, listedRules } from './rules-listing.js';

/** The names `--layer` takes, and the config key (and hit-store layer) each stands for. */
const LAYER_NAMES: Record<string, RuleLayer> = { transport: 'transport', 'mailbox-scan': 'mailboxScan' };

export function parseLayerOption(value: string | undefined): RuleLayer {
  if (value === undefined) return 'transport';
  const layer = LAYER_NAMES[value];
  if (layer === undefined) throw new UserError(`--layer ${value}: expected ${Object.keys(LAYER_NAMES).join(' or ')}`);
  return layer;
}

/** The name a user types for a layer: transport, mailbox-scan. */
export function layerName(layer: RuleLayer): string {
  return Object.keys(LAYER_NAMES).find((name) => LAYER_NAMES[name] === layer) ?? layer;
}

export function addLayerOption(command: Command): Command {
  return command.option('--layer <layer>', 'which rule set: transport (the proxy) or mailbox-scan', 'transport');
}

export interface LayerRules {
  layer: RuleLayer;
  /** The rules as written in the config file (ids assigned), or the shipped defaults. */
  raw: unknown[];
  rules: Rule[];
  /** True when the file has no rules for this layer, so the shipped defaults apply. */
  defaults: boolean;
}

/** A layer's rules as the proxy would use them; rules without ids get theirs written to the file first. */
function loadLayerRules(configPath: string, layer: RuleLayer): LayerRules {
  const config = loadConfigAssigningRuleIds(configPath);
  const raw = config.rules[layer];
  return { layer, raw, rules: parseRules(raw, `rules.${layer}`), defaults: readRawSetting(configPath, ['rules', layer]) === undefined };
}

/** Registers `rules list|add|edit|remove|enable|disable|move|reset-hits` and returns the `rules` command. */
export function registerRulesCommands(program: Command): Command {
  const rules = program
    .command('rules')
    .description('the rules of each protection layer: filtering, attachment and result levels, with hit counters');

  addLayerOption(rules.command('list').description('show the rules in evaluation order with their hit counters'))
    .option('--json', 'machine-readable output')
    .action(
      handled((options: { layer?: string; json?: boolean }, command: Command) => {
        const { configPath, dataDir } = cliContext(command);
        const layer = parseLayerOption(options.layer);
        const { raw, rules: parsed, defaults } = loadLayerRules(configPath, layer);
        const hits = withHitStore(dataDir, (store) => store.all(layer)) ?? new Map();
        const listed = listedRules(parsed, raw, hits);
        if (options.json) return console.log(JSON.stringify(listed, null, 2));
        if (listed.length === 0) return console.log(`No rules in the ${layerName(layer)} layer. Add one with: inboxguard rules add --name NAME --level LEVEL --action log`);
        if (defaults) console.log(`The ${layerName(layer)} layer uses the shipped default rules (the configuration file has no rules.${layer} yet).`);
        for (const line of formatRulesTable(listed)) console.log(line);
      }),
    );

  addLayerOption(rules.command('add').description('add a rule, from flags or from a YAML file'))
    .option('--file <rule.yaml>', 'the rule as YAML (one mapping: name, level, enabled, conditions, actions)')
    .option('--name <text>', 'the rule name')
    .option('--level <level>', 'filtering, attachment or result')
    .option('--if <condition>', "a condition 'FIELD OP VALUE', repeatable; all must hold (VALUE comma-separated for in)", collect, [])
    .option('--action <action>', 'an action, repeatable: log, delete-attachment, add-header=NAME:VALUE, tag-subject=TEXT, …', collect, [])
    .option('--disabled', 'add the rule switched off')
    .option('--position <n>', '1-based position within its level (default: last)')
    .action(
      handled((options: AddOptions, command: Command) => {
        const { configPath } = cliContext(command);
        const layer = parseLayerOption(options.layer);
        const current = loadLayerRules(configPath, layer).raw;
        const position = options.position === undefined ? undefined : positiveInteger('--position', options.position);
        const entry = options.file === undefined ? ruleFromFlags(options) : checkNewRule(current, ruleFromFile(options.file, hasRuleFlags(options)), options.file);
        const { rules: [withId] } = ensureIds([entry], () => freshId(current));
        const level = levelOf(withId);
        // Without a valid level the rule goes last, and the validation below names the problem.
        const index = level === undefined ? current.length : insertionIndex(current, level, position);
        changeLayer(configPath, layer, (seq, doc) => {
          if (seq.items.length === 0) seq.flow = false;
          seq.items.splice(index, 0, compact(doc.createNode(withId)));
        });
        const id = String((withId as RawEntry).id);
        const placed = positionInLevel(moveItem([...current, withId], current.length, index), index);
        console.log(`Added rule ${id} "${String((withId as RawEntry).name)}" to the ${layerName(layer)} layer (${String(level)}, position ${placed}).`);
      }),
    );

  addLayerOption(rules.command('edit <id>').description('replace a rule with the one in a YAML file; the id stays'))
    .requiredOption('--file <rule.yaml>', 'the new rule as YAML (id, level and enabled may be left out: they are kept)')
    .action(
      handled((id: string, options: { layer?: string; file: string }, command: Command) => {
        const { configPath } = cliContext(command);
        const layer = parseLayerOption(options.layer);
        const current = loadLayerRules(configPath, layer).raw;
        const index = requireRule(current, id, layer);
        const replacement = replacementRule(current[index] as RawEntry, ruleFromFile(options.file, false), options.file);
        changeLayer(configPath, layer, (seq, doc) => {
          seq.items[index] = compact(doc.createNode(replacement));
        });
        console.log(`Replaced rule ${id} "${String(replacement.name)}" in the ${layerName(layer)} layer.`);
      }),
    );

  addLayerOption(rules.command('remove <id>').description('remove a rule and its hit counter'))
    .action(
      handled((id: string, options: { layer?: string }, command: Command) => {
        const { configPath, dataDir } = cliContext(command);
        const layer = parseLayerOption(options.layer);
        const current = loadLayerRules(configPath, layer).raw;
        const index = requireRule(current, id, layer);
        changeLayer(configPath, layer, (seq) => {
          seq.items.splice(index, 1);
        });
        withHitStore(dataDir, (store) => store.reset(layer, id));
        console.log(`Removed rule ${id} "${String((current[index] as RawEntry).name)}" from the ${layerName(layer)} layer.`);
      }),
    );

  for (const enabled of [true, false]) {
    const verb = enabled ? 'enable' : 'disable';
    addLayerOption(rules.command(`${verb} <id>`).description(enabled ? 'switch a rule on' : 'switch a rule off (it stays in place and keeps its counter)'))
      .action(
        handled((id: string, options: { layer?: string }, command: Command) => {
          const { configPath } = cliContext(command);
          const layer = parseLayerOption(options.layer);
          const { raw, rules: parsed } = loadLayerRules(configPath, layer);
          const index = requireRule(raw, id, layer);
          if (parsed[index].enabled === enabled) return console.log(`Rule ${id} is already ${verb}d; nothing changed.`);
          changeLayer(configPath, layer, (_seq, doc) => {
            doc.setIn(['rules', layer, index, 'enabled'], enabled);
          });
          console.log(`Rule ${id} "${parsed[index].name}" is now ${verb}d.`);
        }),
      );
  }

  addLayerOption(rules.command('move <id>').description('change the order of a rule within its level'))
    .option('--up', 'one place earlier')
    .option('--down', 'one place later')
    .option('--to <n>', '1-based position within the level')
    .action(
      handled((id: string, options: { layer?: string; up?: boolean; down?: boolean; to?: string }, command: Command) => {
        const chosen = [options.up, options.down, options.to !== undefined].filter(Boolean).length;
        if (chosen !== 1) throw new UserError('give exactly one of --up, --down or --to N');
        const { configPath } = cliContext(command);
        const layer = parseLayerOption(options.layer);
        const current = loadLayerRules(configPath, layer).raw;
        const index = requireRule(current, id, layer);
        const target = options.up ? { up: true as const } : options.down ? { down: true as const } : { to: positiveInteger('--to', options.to ?? '') };
        const move = planMove(current, index, target);
        if (move.fromPosition === move.toPosition) return console.log(`Rule ${id} is already at position ${move.toPosition} of level ${move.level}; nothing changed.`);
        changeLayer(configPath, layer, (seq) => {
          seq.items = moveItem(seq.items, move.from, move.to);
        });
        console.log(`Moved rule ${id} in level ${move.level} from position ${move.fromPosition} to ${move.toPosition}.`);
      }),
    );

  addLayerOption(rules.command('reset-hits [id]').description("set a rule's hit counter (or every counter of the layer) back to zero"))
    .option('--all', 'every rule of the layer')
    .action(
      handled((id: string | undefined, options: { layer?: string; all?: boolean }, command: Command) => {
        if ((id === undefined) === !options.all) throw new UserError('give a rule id or --all');
        const { configPath, dataDir } = cliContext(command);
        const layer = parseLayerOption(options.layer);
        if (id !== undefined) requireRule(loadLayerRules(configPath, layer).raw, id, layer);
        const reset = withHitStore(dataDir, (store) => store.reset(layer, id)) ?? 0;
        if (id !== undefined) return console.log(reset > 0 ? `Reset the hit counter of ${id}.` : `Rule ${id} had no hits; nothing to reset.`);
        console.log(`Reset ${reset} hit counter${reset === 1 ? '' : 's'} in the ${layerName(layer)} layer.`);
      }),
    );

  return rules;
}

interface AddOptions {
  layer?: string;
  file?: string;
  name?: string;
  level?: string;
  if: string[];
  action: string[];
  disabled?: boolean;
  position?: string;
}

function hasRuleFlags(options: AddOptions): boolean {
  return options.name !== undefined || options.level !== undefined || options.if.length > 0 || options.action.length > 0 || options.disabled === true;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInteger(flag: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UserError(`${flag} ${text}: expected a position 1, 2, 3, …`);
  return Number(text);
}

/** Pure-module and rule errors become one-line user errors. */
function handled<A extends unknown[]>(action: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      action(...args);
    } catch (error) {
      if (error instanceof RuleEditError || error instanceof RuleError) throw new UserError(error.message);
      throw error;
    }
  };
}

function requireRule(rules: readonly unknown[], id: string, layer: RuleLayer): number {
  const index = findRuleIndex(rules, id);
  if (index < 0) throw new UserError(`no rule with id ${id} in the ${layerName(layer)} layer (inboxguard rules list${layer === 'transport' ? '' : ` --layer ${layerName(layer)}`} shows the ids)`);
  return index;
}

function freshId(taken: readonly unknown[]): string {
  const { added } = ensureIds([...taken, {}]);
  return added[0];
}

function ruleFromFile(path: string, withFlags: boolean): unknown {
  if (withFlags) throw new UserError('give the rule either with --file or with --name/--level/--if/--action, not both');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(`${path}: cannot read the rule file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new UserError(`${path}: invalid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const value: unknown = doc.toJS();
  // A rule copied from the config's list is accepted as it is.
  return Array.isArray(value) && value.length === 1 ? value[0] : value;
}

/**
 * Edits one layer's rule list in the config file: writes the shipped defaults first when the file has
 * none, applies `change` to the YAML list, and writes the file only if every rule of the list is valid.
 */
function changeLayer(configPath: string, layer: RuleLayer, change: (seq: YAMLSeq, doc: Document) => void): void {
  editConfigFile(configPath, (doc) => {
    if (!doc.hasIn(['rules', layer])) doc.setIn(['rules', layer], compact(doc.createNode(structuredClone([...DEFAULT_RULES]))));
    const seq = doc.getIn(['rules', layer], true);
    if (!isSeq(seq)) throw new UserError(`${configPath}: rules.${layer} must be a list`);
    change(seq, doc);
    const raw = (doc.toJS() as { rules: Record<RuleLayer, unknown[]> }).rules[layer];
    parseRules(raw, `rules.${layer}`);
  });
}

/** Lists of plain values (condition values, actions) written on one line: `[pe, elf]`. */
function compact<T extends Node>(node: T): T {
  visit(node, {
    Seq(_key, seq) {
      if (seq.items.every((item) => item !== null && typeof item === 'object' && 'value' in item && (item.value === null || typeof item.value !== 'object'))) seq.flow = true;
    },
  });
  return node;
}

/** Runs `use` on the hit store; without a state database yet there are no counters and none is created. */
function withHitStore<T>(dataDir: string, use: (store: RuleHitStore) => T): T | undefined {
  if (!existsSync(stateDbPath(dataDir))) return undefined;
  const store = RuleHitStore.open(dataDir);
  try {
    return use(store);
  } finally {
    store.close();
  }
}
