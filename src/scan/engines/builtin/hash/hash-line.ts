// One line of a ClamAV hash database (.hdb / .hsb): HashString:FileSize:MalwareName[:MinFL[:MaxFL]].
// The hash type follows from the hash length (32 MD5, 40 SHA1, 64 SHA256) in either file type, as in
// clamd. FileSize '*' (any size) needs MinFL >= 73, otherwise clamd rejects the database.
import { flevelAllows, parseFlevelFields, WILDCARD_SIZE_FLEVEL } from '../signatures/flevel.js';
import { rejectLine, type LineResult } from '../signatures/signature-warnings.js';

export type HashAlgorithm = 'md5' | 'sha1' | 'sha256';

export interface HashSignature {
  algorithm: HashAlgorithm;
  /** Lower-case hex. */
  hash: string;
  /** File size in bytes, or '*' for any size. */
  size: number | '*';
  name: string;
}

const ALGORITHM_BY_HEX_LENGTH: Record<number, HashAlgorithm> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

/** A usable signature, null when the line is valid but not for this engine level, or a rejection. */
export function parseHashLine(line: string): LineResult<HashSignature | null> {
  const fields = line.split(':');
  if (fields.length < 3 || fields.length > 5) {
    return rejectLine('malformed', `expected HashString:FileSize:MalwareName[:MinFL[:MaxFL]], got ${fields.length} field(s)`);
  }
  const [hashText, sizeText, name, ...flevelFields] = fields;
  const algorithm = ALGORITHM_BY_HEX_LENGTH[hashText.length];
  if (!algorithm || !/^[0-9a-fA-F]+$/.test(hashText)) {
    return rejectLine('malformed', `hash '${hashText}' is not 32, 40 or 64 hex digits (MD5, SHA1, SHA256)`);
  }
  if (name === '') return rejectLine('malformed', 'empty malware name');
  const flevel = parseFlevelFields(flevelFields);
  if (!flevel) return rejectLine('malformed', `functionality level fields '${flevelFields.join(':')}' are not numbers`);
  let size: number | '*';
  if (sizeText === '*') {
    if (flevel.min === undefined || flevel.min < WILDCARD_SIZE_FLEVEL) {
      return rejectLine('malformed', `size '*' needs a MinFL of at least ${WILDCARD_SIZE_FLEVEL} (e.g. HASH:*:Name:${WILDCARD_SIZE_FLEVEL})`);
    }
    size = '*';
  } else if (/^\d+$/.test(sizeText) && Number(sizeText) > 0 && Number.isSafeInteger(Number(sizeText))) {
    size = Number(sizeText);
  } else {
    return rejectLine('malformed', `file size '${sizeText}' is not a positive number or '*'`);
  }
  if (!flevelAllows(flevel)) return { ok: true, value: null };
  return { ok: true, value: { algorithm, hash: hashText.toLowerCase(), size, name } };
}
