// True file type from content: magic numbers and structure first, the name only to tell text
// formats apart. See the individual modules for what each check looks at.
import type { DetectedType } from '../../../../types/verdict.js';
import type { FileFacts } from '../../../types.js';
import { isElf, isMachO, isPe } from './executables.js';
import { archiveType, isDiskImage, isImage, isLnk, isOle, isRtf, isZip } from './magic.js';
import { hasAsciiAt, uint32le } from './bytes.js';
import { oleHasVbaProject } from './ole-storage.js';
import { isPdf, pdfIsActive } from './pdf.js';
import { looksLikeText, textType } from './text.js';
import { zipEntryNames } from './zip-entries.js';

const CONTENT_TYPES_ENTRY = '[content_types].xml';
const VBA_PROJECT_ENTRY = 'vbaproject.bin';

function zipFacts(content: Buffer): FileFacts {
  const names = zipEntryNames(content).map((name) => name.toLowerCase());
  if (!names.includes(CONTENT_TYPES_ENTRY)) return { detectedType: 'zip' };
  const hasMacros = names.some((name) => name === VBA_PROJECT_ENTRY || name.endsWith(`/${VBA_PROJECT_ENTRY}`));
  return { detectedType: 'ooxml', hasMacros };
}

function simpleType(content: Buffer): DetectedType | undefined {
  if (isPe(content)) return 'pe';
  if (isElf(content)) return 'elf';
  if (isMachO(content)) return 'macho';
  if (isLnk(content)) return 'lnk';
  if (isRtf(content)) return 'rtf';
  const archive = archiveType(content);
  if (archive) return archive;
  if (isImage(content)) return 'image';
  if (isDiskImage(content)) return 'iso';
  return undefined;
}

export function detectFileType(content: Buffer, fileName?: string): FileFacts {
  const simple = simpleType(content);
  if (simple) return { detectedType: simple };
  if (isOle(content)) return { detectedType: 'ole', hasMacros: oleHasVbaProject(content) };
  if (isZip(content)) return zipFacts(content);
  if (isPdf(content)) return { detectedType: 'pdf', pdfActive: pdfIsActive(content) };
  if (looksLikeText(content)) return { detectedType: textType(content, fileName) };
  return { detectedType: 'unknown' };
}

/** Every fixed-place check above, and the text sample, lie within the first this many bytes. */
export const TYPE_HEAD_BYTES = 64 * 1024;

/**
 * detectFileType of a file from its first bytes (at least TYPE_HEAD_BYTES of them), or undefined
 * when they do not decide it: OLE, zip and PDF facts come from the whole file, and an MZ header may
 * point past the head.
 */
export function detectFileTypeFromHead(head: Buffer, fileName?: string): FileFacts | undefined {
  if (head.length < TYPE_HEAD_BYTES) return undefined;
  if (hasAsciiAt(head, 0, 'MZ') && (uint32le(head, 0x3c) ?? 0) + 4 > head.length) return undefined;
  const simple = simpleType(head);
  if (simple) return { detectedType: simple };
  if (isOle(head) || isZip(head) || isPdf(head)) return undefined;
  if (looksLikeText(head)) return { detectedType: textType(head, fileName) };
  return { detectedType: 'unknown' };
}
