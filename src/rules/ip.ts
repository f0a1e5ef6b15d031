// Upstream IP conditions: a single address or a CIDR block, IPv4 or IPv6.
import { BlockList, isIP } from 'node:net';

export function isValidIpOrCidr(value: string): boolean {
  return toBlockList([value]) !== undefined;
}

/** Undefined when any entry is not an address or CIDR block. */
export function toBlockList(entries: readonly string[]): BlockList | undefined {
  const list = new BlockList();
  for (const entry of entries) {
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    if (family === 0) return undefined;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      list.addAddress(address, type);
      continue;
    }
    const prefixText = entry.slice(slash + 1);
    const prefix = Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) return undefined;
    list.addSubnet(address, prefix, type);
  }
  return list;
}

export function ipMatches(ip: string, entries: readonly string[]): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  return toBlockList(entries)?.check(ip, family === 4 ? 'ipv4' : 'ipv6') === true;
}
