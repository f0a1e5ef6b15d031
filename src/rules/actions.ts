// Which actions a rule may carry at each level. See README.md for the reasoning.
import type { ActionType, Level } from './types.js';

const ALL_LEVELS: readonly Level[] = ['filtering', 'attachment', 'result'];

export const ACTION_LEVELS: Record<ActionType, readonly Level[]> = {
  log: ALL_LEVELS,
  'skip-scan': ['filtering'],
  'skip-part-scan': ['attachment'],
  'delete-attachment': ['attachment'],
  'replace-message': ALL_LEVELS,
  quarantine: ALL_LEVELS,
  'add-header': ALL_LEVELS,
  'tag-subject': ALL_LEVELS,
  'evaluate-other-rules': ALL_LEVELS,
};

/** Actions written as a bare name in YAML; the others take an argument. */
export const BARE_ACTIONS = ['log', 'skip-scan', 'skip-part-scan', 'delete-attachment', 'replace-message', 'quarantine', 'evaluate-other-rules'] as const;
