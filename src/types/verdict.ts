// Shared vocabulary of a scan's result: what the engines found and the verdict, and a file's true type.
// A leaf: scan/ produces these, rules/ matches on them (the lists are the values rule conditions may
// name), store/ records them; it imports nothing.

export const VERDICTS = ['clean', 'infected', 'suspicious', 'encrypted', 'archive-limit', 'malformed', 'too-large', 'error', 'timeout'] as const;

export type Verdict = (typeof VERDICTS)[number];

export const ENGINE_NAMES = ['builtin', 'clamd'] as const;

export type EngineName = (typeof ENGINE_NAMES)[number];

/** Who reports a finding: an engine, or the archive or MIME inspection itself. */
export const FINDING_SOURCES = [...ENGINE_NAMES, 'archive', 'mime'] as const;

/** What an engine or inspector reported about one file. */
/** A stage-2 analysis backend as a finding's source and in rules (`engine: analysis:NAME`); `analysis:manual` for a user's decision. */
export type AnalysisEngineName = `analysis:${string}`;

export interface Finding {
  engine: (typeof FINDING_SOURCES)[number] | AnalysisEngineName;
  /** Detection name as the engine reports it, e.g. "Eicar-Test-Signature", "Test.EICAR.MD5.UNOFFICIAL", "Heuristic.DoubleExtension". */
  name: string;
  /** signature: known malware → infected; heuristic: suspicious; limit: could not be fully scanned. */
  kind: 'signature' | 'heuristic' | 'limit' | 'encrypted' | 'malformed';
  /** Where inside the message: part file name, then archive entry names, e.g. ["invoice.zip", "a/b.exe"]. */
  location: string[];
}

/** True types of a file from its content (magic bytes and structure). */
export const DETECTED_TYPES = [
  'pe', 'elf', 'macho', 'script-js', 'script-vbs', 'script-powershell', 'script-batch', 'hta', 'lnk', 'iso', 'ole', 'ooxml',
  'pdf', 'rtf', 'html', 'zip', 'gzip', 'tar', 'rar', '7z', 'image', 'text', 'unknown',
] as const;

export type DetectedType = (typeof DETECTED_TYPES)[number];
