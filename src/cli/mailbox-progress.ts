// How a mailbox scan shows its progress: cli-progress bars (overall and current folder: messages,
// bytes, rate, ETA, threats) on a terminal, plain lines otherwise (every PLAIN_EVERY messages and at
// each folder's end), always on stderr so that stdout carries only the summary.
import cliProgress from 'cli-progress';
import type { FolderSummary, ScanProgress } from '../mailbox/scan-report.js';

const PLAIN_EVERY = 100;

function megabytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

function rate(count: number, since: number): string {
  const seconds = (performance.now() - since) / 1000;
  return seconds > 0 ? (count / seconds).toFixed(0) : '0';
}

export function createProgressDisplay(stream: NodeJS.WriteStream = process.stderr): ScanProgress {
  return stream.isTTY ? new BarDisplay(stream) : new LineDisplay(stream);
}

class BarDisplay implements ScanProgress {
  private readonly bars: cliProgress.MultiBar;
  private overall?: cliProgress.SingleBar;
  private folder?: cliProgress.SingleBar;
  private overallTotal = 0;
  private done = 0;
  private bytes = 0;
  private threats = 0;
  private folderDone = 0;
  private folderBytes = 0;
  private folderThreats = 0;
  private readonly started = performance.now();
  private folderStarted = performance.now();

  constructor(stream: NodeJS.WriteStream) {
    this.bars = new cliProgress.MultiBar(
      {
        stream,
        format: '{label} |{bar}| {value}/{total} msgs | {mb} MB | {rate} msg/s | ETA {eta_formatted} | threats {threats}',
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        etaBuffer: 50,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  start(_folders: readonly string[], messages: number): void {
    this.overallTotal = messages;
    this.overall = this.bars.create(messages, 0, this.payload('all folders', 0, 0, this.started, 0));
  }

  folderStart(folder: string, toScan: number, _bytes: number, notScanned: number): void {
    this.overallTotal = Math.max(this.done, this.overallTotal - notScanned);
    this.overall?.setTotal(this.overallTotal);
    this.folderDone = 0;
    this.folderBytes = 0;
    this.folderThreats = 0;
    this.folderStarted = performance.now();
    this.folder?.stop();
    if (this.folder) this.bars.remove(this.folder);
    this.folder = this.bars.create(toScan, 0, this.payload(folder, 0, 0, this.folderStarted, 0));
  }

  message(folder: string, bytes: number, threat: boolean): void {
    this.done++;
    this.folderDone++;
    this.bytes += bytes;
    this.folderBytes += bytes;
    if (threat) {
      this.threats++;
      this.folderThreats++;
    }
    this.overall?.update(this.done, this.payload('all folders', this.bytes, this.done, this.started, this.threats));
    this.folder?.update(this.folderDone, this.payload(folder, this.folderBytes, this.folderDone, this.folderStarted, this.folderThreats));
  }

  folderEnd(_summary: FolderSummary): void {}

  stop(): void {
    this.bars.stop();
  }

  private payload(label: string, bytes: number, count: number, since: number, threats: number) {
    return { label: label.length > 16 ? `${label.slice(0, 15)}…` : label.padEnd(16), mb: megabytes(bytes), rate: rate(count, since), threats };
  }
}

class LineDisplay implements ScanProgress {
  private folderDone = 0;
  private folderToScan = 0;
  private folderBytes = 0;
  private folderThreats = 0;
  private folderStarted = performance.now();

  constructor(private readonly stream: NodeJS.WriteStream) {}

  start(folders: readonly string[], messages: number): void {
    this.line(`scanning ${folders.length} folder${folders.length === 1 ? '' : 's'} (${messages} messages): ${folders.join(', ')}`);
  }

  folderStart(folder: string, toScan: number, bytes: number, notScanned: number): void {
    this.folderDone = 0;
    this.folderToScan = toScan;
    this.folderBytes = 0;
    this.folderThreats = 0;
    this.folderStarted = performance.now();
    this.line(`${folder}: ${toScan} to scan (${megabytes(bytes)} MB), ${notScanned} left out (filters, already scanned)`);
  }

  message(folder: string, bytes: number, threat: boolean): void {
    this.folderDone++;
    this.folderBytes += bytes;
    if (threat) this.folderThreats++;
    if (this.folderDone % PLAIN_EVERY === 0 && this.folderDone < this.folderToScan) {
      this.line(`${folder}: ${this.folderDone}/${this.folderToScan} messages, ${megabytes(this.folderBytes)} MB, ${rate(this.folderDone, this.folderStarted)} msg/s, threats ${this.folderThreats}`);
    }
  }

  folderEnd(summary: FolderSummary): void {
    const end = summary.error ? `stopped: ${summary.error}` : 'done';
    this.line(`${summary.folder}: ${end}: ${summary.scanned} scanned, ${summary.skipped} skipped, ${summary.threats} threats, ${summary.errors} errors`);
  }

  stop(): void {}

  private line(text: string): void {
    this.stream.write(`${text}\n`);
  }
}
