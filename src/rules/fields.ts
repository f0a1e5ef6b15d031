// Which condition fields exist at each level, what kind of value each holds and how to read it from the facts.
import { DETECTED_TYPES, FINDING_SOURCES, VERDICTS } from '../types/verdict.js';
import type { FactsByLevel } from './facts.js';
import type { Level } from './types.js';

export type FieldType = 'address' | 'domain' | 'text' | 'extension' | 'enum' | 'size' | 'boolean' | 'ip';

/** Texts are lists so that multi-valued facts (recipients, detections, repeated headers) match when any value does. */
export type FactValue = readonly string[] | number | boolean;

export interface FieldSpec<Facts> {
  type: FieldType;
  read(facts: Facts, headerName?: string): FactValue;
  /** Allowed values for enum fields. */
  values?: readonly string[];
  /** The `header` field names the header to read with `name:`. */
  needsHeaderName?: boolean;
}

const optional = (value: string | undefined): readonly string[] => (value === undefined ? [] : [value]);

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1);

export const FIELDS: { [L in Level]: Record<string, FieldSpec<FactsByLevel[L]>> } = {
  filtering: {
    from: { type: 'address', read: (facts) => facts.from },
    'from-domain': { type: 'domain', read: (facts) => facts.from.map(domainOf) },
    sender: { type: 'address', read: (facts) => optional(facts.sender) },
    to: { type: 'address', read: (facts) => facts.to },
    cc: { type: 'address', read: (facts) => facts.cc },
    recipient: { type: 'address', read: (facts) => [...facts.to, ...facts.cc] },
    subject: { type: 'text', read: (facts) => optional(facts.subject) },
    header: {
      type: 'text',
      needsHeaderName: true,
      read: (facts, headerName) => facts.headers.filter((header) => header.name === headerName).map((header) => header.value),
    },
    size: { type: 'size', read: (facts) => facts.size },
    'has-attachments': { type: 'boolean', read: (facts) => facts.hasAttachments },
    'upstream-host': { type: 'text', read: (facts) => [facts.upstreamHost] },
    'upstream-ip': { type: 'ip', read: (facts) => optional(facts.upstreamIp) },
    listener: { type: 'text', read: (facts) => [facts.listener] },
    user: { type: 'text', read: (facts) => optional(facts.user) },
    application: { type: 'text', read: (facts) => optional(facts.application) },
  },
  attachment: {
    'file-name': { type: 'text', read: (facts) => optional(facts.fileName) },
    extension: { type: 'extension', read: (facts) => optional(extensionOf(facts.fileName)) },
    'declared-type': { type: 'text', read: (facts) => [facts.declaredType] },
    'detected-type': { type: 'enum', values: DETECTED_TYPES, read: (facts) => optional(facts.detectedType) },
    size: { type: 'size', read: (facts) => facts.size },
    'inside-archive': { type: 'boolean', read: (facts) => facts.insideArchive },
    encrypted: { type: 'boolean', read: (facts) => facts.encrypted },
    'has-macros': { type: 'boolean', read: (facts) => facts.hasMacros },
    'double-extension': { type: 'boolean', read: (facts) => facts.doubleExtension },
    'bidi-name': { type: 'boolean', read: (facts) => facts.bidiName },
    'part-verdict': { type: 'enum', values: VERDICTS, read: (facts) => optional(facts.partVerdict) },
    detection: { type: 'text', read: (facts) => facts.detections },
  },
  result: {
    verdict: { type: 'enum', values: VERDICTS, read: (facts) => [facts.verdict] },
    detection: { type: 'text', read: (facts) => facts.detections },
    // Text, not an enum: stage-2 backends are named by the user (analysis:NAME).
    engine: { type: 'text', read: (facts) => facts.engines },
  },
};

/** Last extension, lower case, without the dot; none for "README" or ".profile". */
export function extensionOf(fileName: string | undefined): string | undefined {
  if (fileName === undefined) return undefined;
  const trimmed = fileName.trim();
  const dot = trimmed.lastIndexOf('.');
  if (dot <= 0 || dot === trimmed.length - 1) return undefined;
  return trimmed.slice(dot + 1).trim().toLowerCase();
}

/** Attachment fields known only once the part has been through the engines; the rest are known before. */
export const SCAN_RESULT_FIELDS: ReadonlySet<string> = new Set(['part-verdict', 'detection', 'encrypted']);

export function fieldSpec<L extends Level>(level: L, field: string): FieldSpec<FactsByLevel[L]> | undefined {
  const fields = FIELDS[level];
  return Object.hasOwn(fields, field) ? fields[field] : undefined;
}

export function levelsHavingField(field: string): Level[] {
  return (Object.keys(FIELDS) as Level[]).filter((level) => Object.hasOwn(FIELDS[level], field));
}
