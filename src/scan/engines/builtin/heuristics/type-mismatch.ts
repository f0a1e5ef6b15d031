// A part declared as one thing that is really an executable: "application/pdf" carrying a PE file.
// Generic declarations (application/octet-stream and the like, or none) claim nothing and never
// mismatch; declarations that fit the detected type (application/x-msdownload for PE,
// text/javascript for a script, ...) are consistent. Scripts are text, so text/* never mismatches
// a script (content-based script detection is a heuristic itself).
import type { DetectedType } from '../../../../types/verdict.js';
import { EXECUTABLE_TYPES, isScript } from './dangerous-types.js';

export const TYPE_MISMATCH = 'Heuristic.TypeMismatch';

const GENERIC_DECLARATIONS = new Set([
  'application/octet-stream',
  'binary/octet-stream',
  'application/binary',
  'application/unknown',
  'application/x-unknown',
  'application/download',
  'application/x-download',
  'application/force-download',
]);

const FITTING_DECLARATIONS: Partial<Record<DetectedType, string[]>> = {
  pe: ['application/x-msdownload', 'application/x-dosexec', 'application/x-msdos-program', 'application/vnd.microsoft.portable-executable', 'application/x-ms-dos-executable', 'application/x-executable', 'application/exe', 'application/x-exe', 'application/x-winexe'],
  elf: ['application/x-executable', 'application/x-elf', 'application/x-sharedlib', 'application/x-pie-executable'],
  macho: ['application/x-mach-binary', 'application/x-executable'],
  hta: ['application/hta', 'text/html'],
  lnk: ['application/x-ms-shortcut', 'application/x-mslink'],
  'script-js': ['application/javascript', 'application/x-javascript', 'application/ecmascript'],
  'script-vbs': ['application/x-vbscript', 'application/vbscript'],
  'script-powershell': ['application/x-powershell'],
  'script-batch': ['application/x-bat', 'application/x-msdos-program', 'application/bat'],
};

export function isTypeMismatch(declaredType: string | undefined, detected: DetectedType): boolean {
  if (!EXECUTABLE_TYPES.has(detected) || !declaredType) return false;
  const declared = declaredType.split(';')[0].trim().toLowerCase();
  if (declared === '' || GENERIC_DECLARATIONS.has(declared)) return false;
  if (FITTING_DECLARATIONS[detected]?.includes(declared)) return false;
  if ((isScript(detected) || detected === 'hta') && declared.startsWith('text/')) return false;
  return true;
}
