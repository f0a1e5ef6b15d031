// Name resolution of upstream hosts for net/tls.connect's `lookup` option, with a short per-host cache.
// A mail client opens and closes connections all the time, and each one resolved the same name again
// through getaddrinfo on libuv's thread pool (about 0.1 ms of CPU per connection for `localhost`, and a
// resolver round trip for a remote name). The cached answer is kept UPSTREAM_LOOKUP_TTL_MS at most and
// forgotten when a connection to the host fails, so the next one asks again: a moved server is never
// pinned for long. Only the address is cached: TLS still verifies the host name (servername).
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';

export const UPSTREAM_LOOKUP_TTL_MS = 30_000;

/** Resolves every address of a host (dns.lookup with all: true). */
export type ResolveAll = (host: string) => Promise<dns.LookupAddress[]>;

const systemResolveAll: ResolveAll = (host) => dns.promises.lookup(host, { all: true, hints: dns.ADDRCONFIG });

interface Cached {
  addresses: Promise<dns.LookupAddress[]>;
  expiresAt: number;
}

export class UpstreamLookup {
  private readonly cache = new Map<string, Cached>();
  /** Names resolved so far (cache misses), for tests. */
  resolutions = 0;

  constructor(
    private readonly resolveAll: ResolveAll = systemResolveAll,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = UPSTREAM_LOOKUP_TTL_MS,
  ) {}

  /** For net.connect({ lookup }): answers from the cache while it is fresh, else resolves once. */
  readonly lookup: LookupFunction = (host, options, callback) => {
    this.addresses(host).then(
      (all) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const matching = family === 4 || family === 6 ? all.filter((address) => address.family === family) : all;
        if (matching.length === 0) return callback(notFound(host), options.all ? [] : '', 0);
        if (options.all) return callback(null, matching);
        callback(null, matching[0].address, matching[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, options.all ? [] : '', 0),
    );
  };

  /** A connection to host failed: its next connection resolves the name again. */
  forget(host: string): void {
    this.cache.delete(host);
  }

  private addresses(host: string): Promise<dns.LookupAddress[]> {
    const now = this.now();
    const cached = this.cache.get(host);
    if (cached && cached.expiresAt > now) return cached.addresses;
    this.resolutions++;
    const addresses = this.resolveAll(host);
    const entry = { addresses, expiresAt: now + this.ttlMs };
    this.cache.set(host, entry);
    // A failed resolution is not kept: the next connection asks again.
    addresses.catch(() => {
      if (this.cache.get(host) === entry) this.cache.delete(host);
    });
    return addresses;
  }
}

function notFound(host: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host });
}
