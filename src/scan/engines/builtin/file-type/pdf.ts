// PDF recognition and "active content": /JavaScript, /JS or /OpenAction anywhere in the file,
// including names obfuscated with #xx escapes (e.g. /J#61vaScript).
const PDF_MAGIC = Buffer.from('%PDF-', 'latin1');
/** Readers accept the header anywhere in the first kilobyte. */
const HEADER_WINDOW = 1024;
const ACTIVE_NAMES = ['JavaScript', 'JS', 'OpenAction'];
const ACTIVE_NAME_SET = new Set(ACTIVE_NAMES);
const MAX_ESCAPED_NAME = 64;

export function isPdf(content: Buffer): boolean {
  return content.subarray(0, HEADER_WINDOW + PDF_MAGIC.length).includes(PDF_MAGIC);
}

/** PDF delimiters and whitespace end a name. */
function endsName(byte: number | undefined): boolean {
  return byte === undefined || byte <= 0x20 || '()<>[]{}/%'.includes(String.fromCharCode(byte));
}

function hasPlainName(content: Buffer, name: string): boolean {
  const needle = Buffer.from(`/${name}`, 'latin1');
  for (let at = content.indexOf(needle); at !== -1; at = content.indexOf(needle, at + 1)) {
    if (endsName(content[at + needle.length])) return true;
  }
  return false;
}

function decodeName(raw: string): string {
  return raw.replace(/#([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Looks at every '#' for a /Name around it that decodes to an active name. */
function hasEscapedName(content: Buffer): boolean {
  for (let at = content.indexOf(0x23); at !== -1; at = content.indexOf(0x23, at + 1)) {
    let start = at - 1;
    while (start >= 0 && at - start < MAX_ESCAPED_NAME && !endsName(content[start])) start--;
    if (start < 0 || content[start] !== 0x2f) continue;
    let end = at + 1;
    while (end < content.length && end - start < MAX_ESCAPED_NAME && !endsName(content[end])) end++;
    if (ACTIVE_NAME_SET.has(decodeName(content.toString('latin1', start + 1, end)))) return true;
  }
  return false;
}

export function pdfIsActive(content: Buffer): boolean {
  return ACTIVE_NAMES.some((name) => hasPlainName(content, name)) || hasEscapedName(content);
}
