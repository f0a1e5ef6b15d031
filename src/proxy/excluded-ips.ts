// exclusions.ips as a matcher: addresses, CIDR blocks and ranges go into BlockLists; host names are
// resolved when the list is loaded and again every few minutes, so a server whose address changes
// stays excluded. A match names the address and the entry it matched, for the connection event.
import { lookup } from 'node:dns/promises';
import { BlockList } from 'node:net';
import type { Logger } from 'pino';
import { isDeepStrictEqual } from 'node:util';
import { parseIpExclusion } from '../config/ip-exclusion-entry.js';
import type { LiveConfig } from '../config/live-config.js';
import { addIpEntry, ipFamily } from '../rules/ip.js';

const HOST_REFRESH_MS = 5 * 60 * 1000;

export type Resolve = (name: string) => Promise<string[]>;

export const resolveWithDns: Resolve = async (name) => (await lookup(name, { all: true })).map((entry) => entry.address);

interface Matcher {
  entry: string;
  list: BlockList;
}

/** Strips the IPv4-mapped prefix Node reports on dual-stack sockets (::ffff:127.0.0.1). */
export function plainAddress(address: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;
}

export class ExcludedIps {
  private matchers: Matcher[] = [];
  private hosts: string[] = [];
  private hostMatchers: Matcher[] = [];
  private resolving: Promise<void> = Promise.resolve();

  constructor(
    entries: readonly string[],
    private readonly resolve: Resolve,
    private readonly log?: Logger,
  ) {
    for (const text of entries) {
      const entry = parseIpExclusion(text);
      if ('problem' in entry) continue; // the schema rejected it already
      if (entry.kind === 'host') {
        this.hosts.push(entry.name);
        continue;
      }
      const list = new BlockList();
      addIpEntry(list, entry);
      this.matchers.push({ entry: text.trim(), list });
    }
    this.refresh();
  }

  get hasHostNames(): boolean {
    return this.hosts.length > 0;
  }

  /** Resolves the host names again; matching waits for the first resolution. */
  refresh(): Promise<void> {
    if (this.hosts.length === 0) return this.resolving;
    this.resolving = Promise.all(this.hosts.map((host) => this.resolveHost(host))).then((lists) => {
      this.hostMatchers = lists.filter((matcher): matcher is Matcher => matcher !== undefined);
    });
    return this.resolving;
  }

  /** "ip 127.0.0.2 matched 127.0.0.0/30" (or "… matched localhost") when the address is excluded. */
  async match(address: string): Promise<string | undefined> {
    const ip = plainAddress(address);
    const family = ipFamily(ip);
    if (!family) return undefined;
    const found = this.matchers.find((matcher) => matcher.list.check(ip, family));
    if (found) return `ip ${ip} matched ${found.entry}`;
    if (this.hosts.length === 0) return undefined;
    await this.resolving;
    const host = this.hostMatchers.find((matcher) => matcher.list.check(ip, family));
    return host ? `ip ${ip} matched ${host.entry}` : undefined;
  }

  private async resolveHost(host: string): Promise<Matcher | undefined> {
    try {
      const list = new BlockList();
      for (const address of await this.resolve(host)) {
        const family = ipFamily(plainAddress(address));
        if (family) list.addAddress(plainAddress(address), family);
      }
      return { entry: host, list };
    } catch (error) {
      this.log?.warn({ host, reason: (error as NodeJS.ErrnoException).code ?? (error as Error).message }, 'excluded host name did not resolve; it matches nothing until it does');
      return undefined;
    }
  }
}

/** The exclusion list of the live configuration, rebuilt when it changes and its host names re-resolved periodically. */
export class LiveExcludedIps {
  private value: ExcludedIps;
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(live: LiveConfig, resolve: Resolve = resolveWithDns, log?: Logger, refreshMs = HOST_REFRESH_MS) {
    this.value = new ExcludedIps(live.current.exclusions.ips, resolve, log);
    this.unsubscribe = live.onChange((next, previous) => {
      if (!isDeepStrictEqual(next.exclusions.ips, previous.exclusions.ips)) this.value = new ExcludedIps(next.exclusions.ips, resolve, log);
    });
    this.timer = setInterval(() => {
      if (this.value.hasHostNames) void this.value.refresh();
    }, refreshMs);
    this.timer.unref();
  }

  get current(): ExcludedIps {
    return this.value;
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe();
  }
}
