// clamd.conf for a throwaway clamd: everything inside one temp dir, loopback TCP plus a Unix socket,
// local signatures only (TEST-INFRA.md, "ClamAV clamd 1.4 ... with local signatures only").
export interface ClamdConfigInput {
  dir: string;
  port: number;
  socketPath: string;
  /** Extra or replacing options, e.g. { StreamMaxLength: '1M' }. */
  overrides?: Record<string, string>;
}

export const DEFAULT_STREAM_MAX_LENGTH = '50M';

/**
 * Options that stop clamd from unpacking, decoding or normalising anything: it then matches the raw
 * bytes only, as the builtin engine does. Used by the differential tests.
 */
export const RAW_SCANNING: Readonly<Record<string, string>> = {
  ScanPE: 'no',
  ScanELF: 'no',
  ScanOLE2: 'no',
  ScanPDF: 'no',
  ScanSWF: 'no',
  ScanHTML: 'no',
  ScanXMLDOCS: 'no',
  ScanHWP3: 'no',
  ScanOneNote: 'no',
  ScanArchive: 'no',
  ScanMail: 'no',
  ScanImage: 'no',
};

export function clamdConfig(input: ClamdConfigInput): string {
  const { dir } = input;
  const options: Record<string, string> = {
    Foreground: 'yes',
    DatabaseDirectory: `${dir}/db`,
    LocalSocket: input.socketPath,
    LocalSocketMode: '660',
    FixStaleSocket: 'yes',
    TCPSocket: String(input.port),
    TCPAddr: '127.0.0.1',
    PidFile: `${dir}/clamd.pid`,
    TemporaryDirectory: `${dir}/tmp`,
    LogFile: `${dir}/clamd.log`,
    MaxThreads: '4',
    StreamMaxLength: DEFAULT_STREAM_MAX_LENGTH,
    MaxFileSize: '50M',
    MaxScanSize: '100M',
    ScanMail: 'yes',
    ScanArchive: 'yes',
    SelfCheck: '0',
    Bytecode: 'no',
    ...input.overrides,
  };
  return `${Object.entries(options)
    .map(([key, value]) => `${key} ${value}`)
    .join('\n')}\n`;
}

/** clamd size notation (e.g. "50M", "512K", "1000") in bytes. */
export function parseClamdSize(value: string): number {
  const match = /^(\d+)([kKmM]?)$/.exec(value.trim());
  if (!match) throw new Error(`not a clamd size: '${value}'`);
  const unit = match[2].toLowerCase();
  return Number(match[1]) * (unit === 'm' ? 1024 * 1024 : unit === 'k' ? 1024 : 1);
}
