// Prefixes the Subject with a tag such as "[VIRUS]" (RFC 2047-correct) or adds a Subject when there is none.
//
// Whitespace between two encoded-words is dropped by decoders (RFC 2047 §6.2), so before an encoded-word
// the tag goes into an encoded-word of its own that carries the separating space inside it. Before plain
// text an ASCII tag stays plain. A subject that already starts with the tag is left alone.
import { CR, LF, SP, TAB, isAscii, latin1ToText } from '../bytes.js';
import { rawFieldValue } from '../header-fields.js';
import { libmime } from '../libmime.js';
import { formatField } from './add-header.js';
import { readTopHeader } from './top-header.js';

const ENCODED_WORD_START = /^=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=/;
const MAX_LINE = 998;

export function tagSubject(message: Buffer, tag: string): Buffer {
  const header = readTopHeader(message);
  const { eol } = header;
  const subject = header.fields.find((field) => field.name === 'subject');
  if (subject === undefined) {
    const before = message.subarray(0, header.fieldsEnd);
    const needsBreak = before.length > 0 && before[before.length - 1] !== LF;
    const field = formatField('Subject', tag, eol);
    return Buffer.concat([before, Buffer.from((needsBreak ? eol : '') + field, 'latin1'), message.subarray(header.fieldsEnd)]);
  }
  if (decodedSubject(message, subject).startsWith(tag.trim())) return message;

  let insertAt = subject.valueStart;
  while (message[insertAt] === SP || message[insertAt] === TAB) insertAt++;
  const firstLineEnd = lineEnd(message, insertAt);
  const rest = message.toString('latin1', insertAt, firstLineEnd);
  const beforeEncodedWord = ENCODED_WORD_START.test(rest);
  const tagText = beforeEncodedWord ? libmime.encodeWord(`${tag} `, 'Q', 52) : isAscii(tag) ? tag : libmime.encodeWord(tag, 'Q', 52);
  const separator = firstLineEnd - subject.start + tagText.length + 1 > MAX_LINE ? `${eol} ` : ' ';
  const leading = insertAt === subject.valueStart ? ' ' : '';
  const inserted = Buffer.from(`${leading}${tagText}${rest.length > 0 ? separator : ''}`, 'latin1');
  return Buffer.concat([message.subarray(0, insertAt), inserted, message.subarray(insertAt)]);
}

function decodedSubject(message: Buffer, subject: Parameters<typeof rawFieldValue>[1]): string {
  const raw = latin1ToText(rawFieldValue(message, subject));
  try {
    return libmime.decodeWords(raw).trim();
  } catch {
    return raw.trim();
  }
}

function lineEnd(message: Buffer, from: number): number {
  let index = from;
  while (index < message.length && message[index] !== LF && message[index] !== CR) index++;
  return index;
}
