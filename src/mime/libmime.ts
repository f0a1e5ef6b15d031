// libmime as shipped with @zone-eu/mailsplit: RFC 2047 / RFC 2231 parsing and building of header values.
//
// It is loaded through mailsplit's own resolution so the project depends on mailsplit only and always
// gets the exact libmime release mailsplit pins, hoisted or not. The interface lists just what is used.
import { createRequire } from 'node:module';

export interface StructuredHeaderValue {
  value: string;
  params: Record<string, string>;
}

interface ParsedHeaderValue extends StructuredHeaderValue {
  /** Names of parameters that were given in RFC 2231 form and are decoded already (not enumerable). */
  decodedParams?: string[];
}

interface Libmime {
  parseHeaderValue(value: string, options?: { stripComments?: boolean }): ParsedHeaderValue;
  buildHeaderValue(structured: StructuredHeaderValue): string;
  decodeWords(value: string): string;
  encodeWord(data: string, mimeWordEncoding?: 'Q' | 'B', maxLength?: number): string;
  foldLines(value: string, lineLength?: number, afterSpace?: boolean): string;
}

let loaded: Libmime | undefined;

// Loaded on first use: libmime pulls in iconv-lite's and encoding-japanese's tables (several MiB of
// resident memory), which an idle proxy or one relaying without scanning never needs. Synchronous
// (require) because its callers are.
function load(): Libmime {
  loaded ??= createRequire(createRequire(import.meta.url).resolve('@zone-eu/mailsplit'))('libmime') as Libmime;
  return loaded;
}

export const libmime: Libmime = {
  parseHeaderValue: (value, options) => load().parseHeaderValue(value, options),
  buildHeaderValue: (structured) => load().buildHeaderValue(structured),
  decodeWords: (value) => load().decodeWords(value),
  encodeWord: (data, mimeWordEncoding, maxLength) => load().encodeWord(data, mimeWordEncoding, maxLength),
  foldLines: (value, lineLength, afterSpace) => load().foldLines(value, lineLength, afterSpace),
};
