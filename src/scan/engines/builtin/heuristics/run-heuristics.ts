import type { ContentInfo, FileFacts } from '../../../types.js';
import { BIDI_FILE_NAME, hasBidiControls } from './bidi-file-name.js';
import { DOUBLE_EXTENSION, hasDoubleExtension } from './double-extension.js';
import { EXECUTABLE_IN_ARCHIVE, isExecutableInArchive } from './executable-in-archive.js';
import { isTypeMismatch, TYPE_MISMATCH } from './type-mismatch.js';

/** Names of the heuristics that fire for this file. */
export function heuristicNames(facts: FileFacts, info: ContentInfo): string[] {
  const names: string[] = [];
  const fileName = info.fileName ?? '';
  if (hasDoubleExtension(fileName)) names.push(DOUBLE_EXTENSION);
  if (hasBidiControls(fileName)) names.push(BIDI_FILE_NAME);
  if (isTypeMismatch(info.declaredType, facts.detectedType)) names.push(TYPE_MISMATCH);
  if (isExecutableInArchive(info.insideArchive, facts.detectedType)) names.push(EXECUTABLE_IN_ARCHIVE);
  return names;
}
