import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { CaError } from './ca-error.js';

/** A validated, canonical name a leaf certificate is minted for. */
export type ServerName =
  | { kind: 'dns'; value: string }
  | { kind: 'ip'; value: string; family: 4 | 6 };

const MAX_DNS_NAME_LENGTH = 253;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Accepts a DNS host name (RFC 1123 labels; SNI never carries a trailing dot or a wildcard)
 * or an IPv4/IPv6 address. DNS names are lowercased; IPv6 addresses are compressed, lose any
 * zone id (a certificate cannot carry one), and IPv4-mapped ones become plain IPv4, since the
 * client connected to the IPv4 address.
 */
export function parseServerName(raw: string): ServerName {
  const ip = parseIp(raw);
  if (ip) return ip;
  const name = raw.toLowerCase().replace(/\.$/, '');
  const labels = name.split('.');
  const valid =
    name.length > 0 &&
    name.length <= MAX_DNS_NAME_LENGTH &&
    labels.every((label) => DNS_LABEL.test(label)) &&
    // An all-numeric last label would read as a (malformed) IP address, never a host name.
    !/^[0-9]+$/.test(labels[labels.length - 1]);
  if (!valid) {
    const shown = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
    throw new CaError(`invalid server name ${JSON.stringify(shown)}: expected a DNS host name or an IP address`);
  }
  return { kind: 'dns', value: name };
}

function parseIp(raw: string): ServerName | null {
  if (isIPv4(raw)) return { kind: 'ip', value: raw, family: 4 };
  const withoutZone = raw.split('%', 1)[0];
  if (!isIPv6(withoutZone)) return null;
  const compressed = new URL(`http://[${withoutZone}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (mapped) {
    const high = parseInt(mapped[1], 16);
    const low = parseInt(mapped[2], 16);
    return { kind: 'ip', value: [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.'), family: 4 };
  }
  return { kind: 'ip', value: compressed, family: 6 };
}

const MAX_READABLE_FILE_STEM = 200;

/**
 * A file name for the cached leaf of a name: a prefix per kind (so "dns_con.pem" stays clear of
 * Windows device names and kinds never collide), IPv6 colons turned into dashes, and a hash
 * instead of the tail when the name would pass the usual 255-byte file name limit.
 */
export function leafFileName(name: ServerName): string {
  const prefix = name.kind === 'dns' ? 'dns' : `ip${name.family}`;
  let stem = `${prefix}_${name.value.replaceAll(':', '-')}`;
  if (stem.length > MAX_READABLE_FILE_STEM) {
    const digest = createHash('sha256').update(name.value).digest('hex').slice(0, 32);
    stem = `${stem.slice(0, MAX_READABLE_FILE_STEM - 33)}_${digest}`;
  }
  // Guaranteed by parseServerName; checked again because this becomes a path.
  if (!/^[a-z0-9_][a-z0-9._-]*$/.test(stem)) throw new CaError(`unsafe leaf file name ${JSON.stringify(stem)}`);
  return `${stem}.pem`;
}
