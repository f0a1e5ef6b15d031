// Rows of /proc/net/tcp and /proc/net/tcp6. Addresses are hex in host byte order per 32-bit word
// (little-endian on the machines Node runs on): 0100007F:1F90 is 127.0.0.1:8080.

export interface TcpRow {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** The socket owner's user id. */
  uid: number;
  inode: number;
}

function word(hex: string): number[] {
  const value = parseInt(hex, 16);
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

/** "0100007F" → 127.0.0.1; 32 hex digits → IPv6 (IPv4-mapped ones as plain IPv4). */
export function decodeProcAddress(hex: string): string {
  if (hex.length === 8) return word(hex).join('.');
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...word(hex.slice(i, i + 8)));
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return compressIpv6(groups);
}

function compressIpv6(groups: string[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}

function parseRow(line: string): TcpRow | undefined {
  const fields = line.trim().split(/\s+/);
  if (fields.length < 10) return undefined;
  const [localAddress, localPort] = fields[1].split(':');
  const [remoteAddress, remotePort] = fields[2].split(':');
  if (!localPort || !remotePort) return undefined;
  return {
    localAddress: decodeProcAddress(localAddress),
    localPort: parseInt(localPort, 16),
    remoteAddress: decodeProcAddress(remoteAddress),
    remotePort: parseInt(remotePort, 16),
    uid: Number(fields[7]),
    inode: Number(fields[9]),
  };
}

export function parseProcNetTcp(text: string): TcpRow[] {
  const rows: TcpRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const row = parseRow(line);
    if (row) rows.push(row);
  }
  return rows;
}

/**
 * The rows whose local port is `port`, parsing only the lines that mention it: the table holds every
 * TCP socket of the machine (thousands in TIME_WAIT under load), and a lookup wants one of them.
 */
export function rowsWithLocalPort(text: string, port: number): TcpRow[] {
  const needle = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  const rows: TcpRow[] = [];
  let lineEnd = -1;
  for (let hit = text.indexOf(needle); hit !== -1; hit = text.indexOf(needle, Math.max(hit + 1, lineEnd))) {
    if (hit < lineEnd) continue;
    const lineStart = text.lastIndexOf('\n', hit) + 1;
    lineEnd = text.indexOf('\n', hit);
    if (lineEnd === -1) lineEnd = text.length;
    const row = lineStart === 0 ? undefined : parseRow(text.slice(lineStart, lineEnd));
    if (row && row.localPort === port) rows.push(row);
  }
  return rows;
}
