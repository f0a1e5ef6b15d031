// An executable, script or shortcut packed into an archive: a common way to get past attachment
// filters that look only at the outer file name.
import type { DetectedType } from '../../../../types/verdict.js';
import { EXECUTABLE_TYPES } from './dangerous-types.js';

export const EXECUTABLE_IN_ARCHIVE = 'Heuristic.ExecutableInArchive';

export function isExecutableInArchive(insideArchive: boolean, detected: DetectedType): boolean {
  return insideArchive && EXECUTABLE_TYPES.has(detected);
}
