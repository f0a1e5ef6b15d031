// One entry of exclusions.ips: an address, a CIDR block, a range "a-b", or a host name resolved at run time.
import { parseIpEntry, type IpEntry } from '../rules/ip.js';

export type IpExclusionEntry = IpEntry | { kind: 'host'; name: string };

const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function isHostName(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > 253) return false;
  // All digits and dots is a mistyped IPv4 address, not a name.
  if (/^[\d.]+$/.test(name)) return false;
  return name.split('.').every((label) => HOST_LABEL.test(label));
}

export function parseIpExclusion(entry: string): IpExclusionEntry | { problem: string } {
  const text = entry.trim();
  if (text === '') return { problem: 'an empty entry is not an address, CIDR block, range or host name' };
  if (!/[/:]/.test(text) && !/^[\d.]+-/.test(text) && isHostName(text)) return { kind: 'host', name: text.toLowerCase() };
  const parsed = parseIpEntry(text, true);
  if ('problem' in parsed && /^"[^"]*" is not an IP address/.test(parsed.problem)) {
    return { problem: `"${entry}" is not an IP address, CIDR block (10.0.0.0/8), range (10.0.0.1-10.0.0.9) or host name` };
  }
  return parsed;
}
