/** A signature line or file the builtin engine could not use. Loading goes on without it. */
export interface SignatureWarning {
  file: string;
  /** 1-based; 0 when the warning is about the whole file. */
  line: number;
  /** 'malformed': the line breaks the format (clamd would refuse the whole database);
   *  'unsupported': valid ClamAV syntax this engine does not implement. */
  kind: 'malformed' | 'unsupported';
  message: string;
}

export function formatWarning(warning: SignatureWarning): string {
  const where = warning.line > 0 ? `${warning.file}:${warning.line}` : warning.file;
  return `${where}: ${warning.kind === 'malformed' ? 'malformed signature' : 'unsupported'}: ${warning.message}`;
}

/** A line parser's verdict on one line: the parsed value, or why it was rejected. */
export type LineResult<T> =
  | { ok: true; value: T }
  | { ok: false; kind: SignatureWarning['kind']; message: string };

export function rejectLine<T>(kind: SignatureWarning['kind'], message: string): LineResult<T> {
  return { ok: false, kind, message };
}
