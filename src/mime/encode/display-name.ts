// File names we write into replacement parts. Control and bidirectional formatting characters are
// replaced, so "invoice<U+202E>fdp.exe" cannot make "<name>.removed.txt" display as something else.

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"\\]/g;
const MAX_CODE_POINTS = 100;

export function safeFileName(name: string | undefined, fallback: string): string {
  const cleaned = (name ?? '').replace(UNSAFE, '_').trim();
  const codePoints = [...(cleaned || fallback)];
  return codePoints.length > MAX_CODE_POINTS ? codePoints.slice(0, MAX_CODE_POINTS).join('') : codePoints.join('');
}
