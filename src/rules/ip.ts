// IP address entries: a single address, a CIDR block, or (where allowed) a range "a-b"; IPv4 or IPv6.
// Checked with node:net's BlockList. Rule conditions take addresses and CIDR blocks; exclusions also take ranges.
import { BlockList, isIP } from 'node:net';

export type IpFamily = 'ipv4' | 'ipv6';

export type IpEntry =
  | { kind: 'address'; address: string; family: IpFamily }
  | { kind: 'subnet'; address: string; prefix: number; family: IpFamily }
  | { kind: 'range'; start: string; end: string; family: IpFamily };

export function ipFamily(address: string): IpFamily | undefined {
  const family = isIP(address);
  return family === 4 ? 'ipv4' : family === 6 ? 'ipv6' : undefined;
}

/** The parsed entry, or a one-line reason why it is not an address, CIDR block or range. */
export function parseIpEntry(entry: string, allowRange: boolean): IpEntry | { problem: string } {
  const text = entry.trim();
  const dash = text.indexOf('-');
  if (allowRange && dash > 0 && ipFamily(text.slice(0, dash).trim())) {
    const start = text.slice(0, dash).trim();
    const end = text.slice(dash + 1).trim();
    const family = ipFamily(start) as IpFamily;
    if (ipFamily(end) !== family) return { problem: `range "${entry}" must end with an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address like its start` };
    // start > end: BlockList would throw; say it plainly instead.
    try {
      new BlockList().addRange(start, end, family);
    } catch {
      return { problem: `range "${entry}" starts after it ends` };
    }
    return { kind: 'range', start, end, family };
  }
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const family = ipFamily(address);
  if (!family) return { problem: `"${entry}" is not an IP address${allowRange ? ', CIDR block or range' : ' or CIDR block'}` };
  if (slash === -1) return { kind: 'address', address, family };
  const prefixText = text.slice(slash + 1);
  const max = family === 'ipv4' ? 32 : 128;
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > max) return { problem: `"${entry}": the prefix length must be 0-${max} for ${family === 'ipv4' ? 'IPv4' : 'IPv6'}` };
  return { kind: 'subnet', address, prefix, family };
}

export function addIpEntry(list: BlockList, entry: IpEntry): void {
  if (entry.kind === 'address') list.addAddress(entry.address, entry.family);
  else if (entry.kind === 'subnet') list.addSubnet(entry.address, entry.prefix, entry.family);
  else list.addRange(entry.start, entry.end, entry.family);
}

export function isValidIpOrCidr(value: string): boolean {
  return toBlockList([value]) !== undefined;
}

/** Undefined when any entry is not an address or CIDR block. */
function toBlockList(entries: readonly string[]): BlockList | undefined {
  const list = new BlockList();
  for (const text of entries) {
    const entry = parseIpEntry(text, false);
    if ('problem' in entry) return undefined;
    addIpEntry(list, entry);
  }
  return list;
}

export function ipMatches(ip: string, entries: readonly string[]): boolean {
  const family = ipFamily(ip);
  if (!family) return false;
  return toBlockList(entries)?.check(ip, family) === true;
}
