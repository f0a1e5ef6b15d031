// Shared vocabulary of the scanning layer. Engines look at one file's bytes; the pipeline walks MIME
// parts and archive entries, calls the engines, and combines their findings into a verdict.

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

/** A file handed to the engines: a decoded MIME part or an archive entry. */
export interface ContentInfo {
  fileName?: string;
  /** Declared MIME type (Content-Type of the part), lower case. */
  declaredType?: string;
  /** Archive entry path list leading to this file (empty for a MIME part). */
  location: string[];
  /** True when the file came out of an archive. */
  insideArchive: boolean;
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

export interface FileFacts {
  detectedType: DetectedType;
  /** OLE/OOXML with a VBA project (vbaProject.bin or a VBA storage). */
  hasMacros?: boolean;
  /** PDF with /JavaScript, /JS or /OpenAction. */
  pdfActive?: boolean;
}

/** A scanning engine over one file's bytes. Throwing means the engine failed: verdict "error". */
export interface ContentEngine {
  readonly name: EngineName;
  scan(content: Buffer, info: ContentInfo): Promise<Finding[]>;
  close?(): Promise<void>;
}
