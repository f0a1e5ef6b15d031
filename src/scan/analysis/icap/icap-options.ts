// The answer to OPTIONS (RFC 3507 §4.10.2): what the service supports and for how long that holds.
import { IcapError } from './icap-errors.js';
import { headerValue, type IcapResponse } from './icap-response-parser.js';
import { istagOf } from './icap-verdict.js';

export interface IcapServiceOptions {
  methods: string[];
  istag?: string;
  service?: string;
  /** Bytes the server wants as a preview; undefined when it asked for none. */
  preview?: number;
  /** Transfer-Preview, e.g. ['*']. */
  transferPreview: string[];
  maxConnections?: number;
  /** Seconds the answer stays valid; undefined means no limit given. */
  ttlSeconds?: number;
  allow204: boolean;
}

function list(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((item) => item.trim()).filter(Boolean);
}

function count(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d{1,9}\s*$/.test(value)) return undefined;
  return Number(value);
}

export function parseOptionsResponse(response: IcapResponse): IcapServiceOptions {
  if (response.status !== 200) throw new IcapError(`ICAP OPTIONS answered ${response.status}${response.reason ? ` ${response.reason}` : ''}`);
  const h = response.headers;
  const methods = list(headerValue(h, 'methods')).map((m) => m.toUpperCase());
  return {
    methods,
    istag: istagOf(h),
    service: headerValue(h, 'service'),
    preview: count(headerValue(h, 'preview')),
    transferPreview: list(headerValue(h, 'transfer-preview')),
    maxConnections: count(headerValue(h, 'max-connections')),
    ttlSeconds: count(headerValue(h, 'options-ttl')),
    allow204: list(headerValue(h, 'allow')).includes('204'),
  };
}
