// Shared vocabulary of a scan's result: what the engines found and the verdict, and a file's true type.
// A leaf: scan/ produces these, rules/ matches on them, store/ records them; it imports nothing.

export type Verdict =
  | 'clean'
  | 'infected'
  | 'suspicious'
  | 'encrypted'
  | 'archive-limit'
  | 'malformed'
  | 'too-large'
  | 'error'
  | 'timeout';

export type EngineName = 'builtin' | 'clamd';

/** What an engine or inspector reported about one file. */
export interface Finding {
  engine: EngineName | 'archive' | 'mime';
  /** Detection name as the engine reports it, e.g. "Eicar-Test-Signature", "Test.EICAR.MD5.UNOFFICIAL", "Heuristic.DoubleExtension". */
  name: string;
  /** signature: known malware → infected; heuristic: suspicious; limit: could not be fully scanned. */
  kind: 'signature' | 'heuristic' | 'limit' | 'encrypted' | 'malformed';
  /** Where inside the message: part file name, then archive entry names, e.g. ["invoice.zip", "a/b.exe"]. */
  location: string[];
}

/** True type of a file from its content (magic bytes and structure). */
export type DetectedType =
  | 'pe'
  | 'elf'
  | 'macho'
  | 'script-js'
  | 'script-vbs'
  | 'script-powershell'
  | 'script-batch'
  | 'hta'
  | 'lnk'
  | 'iso'
  | 'ole'
  | 'ooxml'
  | 'pdf'
  | 'rtf'
  | 'html'
  | 'zip'
  | 'gzip'
  | 'tar'
  | 'rar'
  | '7z'
  | 'image'
  | 'text'
  | 'unknown';
