// ClamAV's TargetType field (docs.clamav.net, appendix "Target Types") mapped to the file types this
// engine detects. Differences from clamd, on purpose:
//  - 3 (HTML) and 7 (ASCII text) match the raw bytes of HTML / text-like files; clamd matches them
//    against its normalised copy (lower-cased, whitespace folded), so results can differ.
//  - 4 (mail), 11 (Flash), 12 (Java), 13 (internal), 14 (other) are treated as 'any' (0).
//  - numbers above 14 are rejected as unsupported (clamd loads them but never matches them).
import type { DetectedType } from '../../../../types/verdict.js';

export type TargetFilter = 'any' | ReadonlySet<DetectedType>;

const TEXT_LIKE: DetectedType[] = ['text', 'html', 'hta', 'rtf', 'script-js', 'script-vbs', 'script-powershell', 'script-batch'];

const BY_TARGET_TYPE: Record<number, TargetFilter> = {
  0: 'any',
  1: new Set<DetectedType>(['pe']),
  2: new Set<DetectedType>(['ole']),
  3: new Set<DetectedType>(['html', 'hta']),
  4: 'any',
  5: new Set<DetectedType>(['image']),
  6: new Set<DetectedType>(['elf']),
  7: new Set<DetectedType>(TEXT_LIKE),
  9: new Set<DetectedType>(['macho']),
  10: new Set<DetectedType>(['pdf']),
  11: 'any',
  12: 'any',
  13: 'any',
  14: 'any',
};

/** undefined: a target type this engine cannot honour. */
export function targetFilter(targetType: number): TargetFilter | undefined {
  return BY_TARGET_TYPE[targetType];
}

export function targetAllows(filter: TargetFilter, detected: DetectedType): boolean {
  return filter === 'any' || filter.has(detected);
}
