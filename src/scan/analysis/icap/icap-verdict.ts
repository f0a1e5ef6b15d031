// What an ICAP answer to a RESPMOD says about the content. Only what the server states counts:
//   204 No Content                          → clean (the server left the content as it was, §4.6)
//   200 naming a threat in a header          → malicious, with the threat's name
//   200 echoing the content unchanged        → clean (a server that ignores Allow: 204)
//   200 that changed the content, no name    → suspicious: the service replaced or altered it
//   anything else                            → error, with the status
// Threat headers (draft-stecher-icap-subid-00, as c-icap's virus_scan and most appliances send):
//   X-Infection-Found: Type=0; Resolution=2; Threat=NAME;
//   X-Violations-Found: COUNT then per violation 4 folded lines: file name, threat, id, disposition
//   X-Virus-ID: NAME
import type { AnalysisVerdict } from '../../../types/analysis-verdict.js';
import { headerValue, type IcapHeader, type IcapResponse } from './icap-response-parser.js';

export interface IcapVerdict {
  verdict: AnalysisVerdict | 'error';
  name?: string;
  istag?: string;
  /** For 'error': what went wrong. */
  error?: string;
}

export const CONTENT_MODIFIED = 'ICAP.ContentModified';

function infectionFound(value: string): string | undefined {
  const match = /(?:^|;)\s*Threat=([^;]*)/i.exec(value);
  const name = match?.[1].trim();
  return name ? name : undefined;
}

function violationsFound(value: string): string[] {
  const lines = value.split('\n').map((line) => line.trim());
  const names: string[] = [];
  for (let i = 2; i < lines.length; i += 4) if (lines[i] && lines[i] !== '-') names.push(lines[i]);
  return names;
}

/** The threat names a response's headers give, first the most specific. */
export function threatNames(headers: IcapHeader[]): string[] {
  const names: string[] = [];
  const add = (name: string | undefined): void => {
    if (name && !names.includes(name)) names.push(name);
  };
  for (const header of headers) {
    if (header.name === 'x-infection-found') add(infectionFound(header.value));
    else if (header.name === 'x-violations-found') violationsFound(header.value).forEach(add);
    else if (header.name === 'x-virus-id') add(header.value.trim() || undefined);
  }
  return names;
}

export function istagOf(headers: IcapHeader[]): string | undefined {
  const value = headerValue(headers, 'istag');
  return value === undefined ? undefined : value.replace(/^"(.*)"$/, '$1');
}

export function verdictOf(response: IcapResponse): IcapVerdict {
  const istag = istagOf(response.headers);
  const withTag = (v: IcapVerdict): IcapVerdict => (istag === undefined ? v : { ...v, istag });
  if (response.status === 204) return withTag({ verdict: 'clean' });
  if (response.status === 200) {
    const names = threatNames(response.headers);
    if (names.length > 0) return withTag({ verdict: 'malicious', name: names.join(', ') });
    const unchanged = response.httpStatus === 200 && response.bodyMatchesExpected === true;
    return withTag(unchanged ? { verdict: 'clean' } : { verdict: 'suspicious', name: CONTENT_MODIFIED });
  }
  return withTag({ verdict: 'error', error: `ICAP server answered ${response.status}${response.reason ? ` ${response.reason}` : ''}` });
}
