import type { BodySectionItem } from './fetch-item.js';

// Which header sections the scan of a body section needs, so that a section fetched on its own is
// decoded as its MIME header says (never guessed) and every decision names its message:
// - a part (`BODY[2.1]`, `BINARY[3]`): its MIME header `2.1.MIME`, and the message header `HEADER`;
// - a text (`BODY[TEXT]`, `RFC822.TEXT`, `BODY[2.TEXT]`): the header it follows (`HEADER`,
//   `2.HEADER`; header + text is then the whole message), and the message header `HEADER`;
// - a whole message carries its own header.
// Keys are section specs as a server names them in `BODY[…]`.

export const MESSAGE_HEADER = 'HEADER';

export interface SectionHeaders {
  /** `n.MIME` of a part. */
  part?: string;
  /** The header a TEXT section follows. */
  text?: string;
  /** The top-level message header, for identity (subject, Message-ID). */
  message?: string;
}

/** The section spec inside `BODY[…]` / `BINARY[…]`, or undefined for RFC822 forms. */
function sectionSpec(responseName: string): string | undefined {
  const open = responseName.indexOf('[');
  return open < 0 ? undefined : responseName.slice(open + 1, responseName.lastIndexOf(']'));
}

export function headersNeeded(item: BodySectionItem): SectionHeaders {
  if (item.scope === 'part') {
    const spec = sectionSpec(item.responseName) ?? '';
    return { part: `${spec}.MIME`, message: MESSAGE_HEADER };
  }
  if (item.scope === 'text') {
    const spec = sectionSpec(item.responseName);
    const text = spec === undefined || spec === 'TEXT' ? MESSAGE_HEADER : `${spec.slice(0, -'TEXT'.length)}HEADER`;
    return { text, message: MESSAGE_HEADER };
  }
  return {};
}

export function headerKeys(needs: SectionHeaders): string[] {
  return [...new Set([needs.message, needs.text, needs.part].filter((key): key is string => key !== undefined))];
}

/**
 * The header section a response item carries, as a key of headersNeeded (`RFC822.HEADER` is
 * `HEADER`), or undefined for anything else (partial or field-filtered headers do not count).
 */
export function headerKeyOf(item: BodySectionItem): string | undefined {
  if (item.scope !== 'header' || item.binary || item.origin !== undefined) return undefined;
  if (item.responseName === 'RFC822.HEADER') return MESSAGE_HEADER;
  const spec = sectionSpec(item.responseName);
  if (spec === undefined || !/^(?:[1-9][0-9]*\.)*(?:HEADER|MIME)$/.test(spec) || spec === 'MIME') return undefined;
  return spec;
}
