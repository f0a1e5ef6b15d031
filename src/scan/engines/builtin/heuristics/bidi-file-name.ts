// Bidirectional control characters make "photo_exe.jpg" display for "photo_\u202Egpj.exe". None has
// a legitimate use in an attachment name. Covered: LRE/RLE/PDF/LRO/RLO (U+202A-202E), the isolates
// LRI/RLI/FSI/PDI (U+2066-2069) and the marks LRM/RLM (U+200E/200F).
export const BIDI_FILE_NAME = 'Heuristic.BidiFileName';

const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069\u200e\u200f]/;

export function hasBidiControls(fileName: string): boolean {
  return BIDI_CONTROLS.test(fileName);
}
