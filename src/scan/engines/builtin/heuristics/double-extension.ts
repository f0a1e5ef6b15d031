// "invoice.pdf.exe": a document or media extension followed by one that executes. Padding between
// them ("invoice.pdf      .exe") is ignored. Ordinary compound names (archive.tar.gz) are not flagged.
export const DOUBLE_EXTENSION = 'Heuristic.DoubleExtension';

const DECOY_EXTENSIONS = new Set(
  'pdf doc docx docm xls xlsx xlsm ppt pptx pptm odt ods odp rtf txt csv xml htm html jpg jpeg png gif bmp tif tiff webp svg mp3 mp4 wav avi mov mkv wmv zip rar 7z eml msg ics vcf'.split(' '),
);
const EXECUTABLE_EXTENSIONS = new Set(
  'exe scr com pif cpl msi msp bat cmd vbs vbe js jse wsf wsh wsc hta ps1 psm1 lnk jar dll reg application gadget msc scf sct inf'.split(' '),
);

export function hasDoubleExtension(fileName: string): boolean {
  const parts = fileName.trim().split('.');
  if (parts.length < 3) return false;
  const last = parts[parts.length - 1].trim().toLowerCase();
  const before = parts[parts.length - 2].trim().toLowerCase();
  return EXECUTABLE_EXTENSIONS.has(last) && DECOY_EXTENSIONS.has(before);
}
