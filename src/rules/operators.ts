// Which operators make sense for which kind of field value.
import type { FieldType } from './fields.js';
import type { Operator } from './types.js';

const TEXT_OPERATORS: readonly Operator[] = ['is', 'is-not', 'contains', 'matches', 'glob', 'in'];

export const OPERATORS_BY_TYPE: Record<FieldType, readonly Operator[]> = {
  address: TEXT_OPERATORS,
  domain: TEXT_OPERATORS,
  text: TEXT_OPERATORS,
  extension: TEXT_OPERATORS,
  enum: ['is', 'is-not', 'in'],
  size: ['is', 'is-not', '>', '<'],
  boolean: ['is', 'is-not'],
  ip: ['is', 'is-not', 'in'],
};
