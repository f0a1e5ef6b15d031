// icap://host[:port]/service[?args] (RFC 3507 §4.2; 1344 is the default port).
export interface IcapTarget {
  host: string;
  port: number;
  /** The request URI as written on the request line, e.g. icap://127.0.0.1:1344/srv_clamav */
  uri: string;
  /** The Host header value. */
  hostHeader: string;
}

export const DEFAULT_ICAP_PORT = 1344;

export function parseIcapUrl(url: string): IcapTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not an ICAP URL: '${url}' (expected icap://host[:port]/service)`);
  }
  if (parsed.protocol !== 'icap:') throw new Error(`not an ICAP URL: '${url}' (the scheme must be icap://)`);
  if (parsed.hostname === '') throw new Error(`ICAP URL without a host: '${url}'`);
  if (parsed.pathname === '' || parsed.pathname === '/') throw new Error(`ICAP URL without a service: '${url}' (e.g. icap://${parsed.host}/srv_clamav)`);
  if (parsed.username || parsed.password || parsed.hash) throw new Error(`ICAP URL with credentials or a fragment: '${url}'`);
  const port = parsed.port === '' ? DEFAULT_ICAP_PORT : Number(parsed.port);
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  const hostHeader = `${parsed.hostname}:${port}`;
  return { host, port, hostHeader, uri: `icap://${hostHeader}${parsed.pathname}${parsed.search}` };
}
