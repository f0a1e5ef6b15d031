// One line of an .ndb database: MalwareName:TargetType:Offset:HexSignature[:MinFL[:MaxFL]].
import { flevelAllows, parseFlevelFields } from '../signatures/flevel.js';
import { rejectLine, type LineResult } from '../signatures/signature-warnings.js';
import { HexPatternError, parseHexPattern, type HexToken } from './hex-pattern.js';
import { parseOffset, type SignatureOffset } from './signature-offset.js';
import { targetFilter, type TargetFilter } from './target-type.js';

export interface NdbSignature {
  name: string;
  targetType: number;
  target: TargetFilter;
  offset: SignatureOffset;
  tokens: HexToken[];
}

/** A usable signature, null when the line is valid but not for this engine level, or a rejection. */
export function parseNdbLine(line: string): LineResult<NdbSignature | null> {
  const fields = line.split(':');
  if (fields.length < 4 || fields.length > 6) {
    return rejectLine('malformed', `expected MalwareName:TargetType:Offset:HexSignature[:MinFL[:MaxFL]], got ${fields.length} field(s)`);
  }
  const [name, targetText, offsetText, hex, ...flevelFields] = fields;
  if (name === '') return rejectLine('malformed', 'empty malware name');
  if (!/^\d+$/.test(targetText)) return rejectLine('malformed', `target type '${targetText}' is not a number`);
  const targetType = Number(targetText);
  const flevel = parseFlevelFields(flevelFields);
  if (!flevel) return rejectLine('malformed', `functionality level fields '${flevelFields.join(':')}' are not numbers`);
  const offset = parseOffset(offsetText);
  if (!offset.ok) return offset;
  let tokens: HexToken[];
  try {
    tokens = parseHexPattern(hex);
  } catch (err) {
    if (err instanceof HexPatternError) return rejectLine(err.unsupported ? 'unsupported' : 'malformed', err.message);
    throw err;
  }
  if (!flevelAllows(flevel)) return { ok: true, value: null };
  const target = targetFilter(targetType);
  if (!target) return rejectLine('unsupported', `target type ${targetType}`);
  return { ok: true, value: { name, targetType, target, offset: offset.value, tokens } };
}
