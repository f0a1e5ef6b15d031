import type { DetectedType } from '../../../../types/verdict.js';

/** Types that run code when opened. */
export const EXECUTABLE_TYPES: ReadonlySet<DetectedType> = new Set<DetectedType>([
  'pe',
  'elf',
  'macho',
  'script-js',
  'script-vbs',
  'script-powershell',
  'script-batch',
  'hta',
  'lnk',
]);

export function isScript(type: DetectedType): boolean {
  return type.startsWith('script-');
}
