// In-memory ports for a SessionCore (src/protocol/session-core.ts), so the engine test harnesses drive
// an engine through the same interpretation of its outputs as the proxy, synchronously: bodies stay in
// memory, sinks record, time moves only when a test ticks, and a fault is rethrown to the test.
import { ProcessMemory } from '../../src/protocol/memory-budget.js';
import { SessionCore } from '../../src/protocol/session-core.js';
import type { BodyEncoder, ClientSink, ScanAnswer, ServerSink, SessionServerActions, SessionSpool } from '../../src/protocol/session-ports.js';
import type { BodyEncoding, EngineOutput, ProtocolEngine } from '../../src/protocol/engine.js';
import type { BodyContext } from '../../src/types/body-context.js';
import type { BodyScanResult, SpooledBody } from '../../src/scan/body-scanner.js';

export class InMemorySpool implements SessionSpool {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  readonly spilled = false;
  readonly failed = undefined;
  disposed = false;

  get size(): number {
    return this.bytes;
  }

  append(bytes: Buffer): void {
    // Copy: the engine may hand out views of its input, as a session must expect.
    this.chunks.push(Buffer.from(bytes));
    this.bytes += bytes.length;
  }

  finish(): void {}

  inMemory(): Buffer {
    return Buffer.concat(this.chunks);
  }

  readAll(): Promise<Buffer> {
    return Promise.resolve(this.inMemory());
  }

  memoryRange(start = 0, end = this.bytes): Iterable<Buffer> {
    return [this.inMemory().subarray(start, end)];
  }

  // eslint-disable-next-line @typescript-eslint/require-await
  async *range(start = 0, end = this.bytes): AsyncGenerator<Buffer> {
    yield this.inMemory().subarray(start, end);
  }

  dispose(): void {
    this.disposed = true;
  }
}

export class RecordingClientSink implements ClientSink {
  readonly chunks: Buffer[] = [];
  readonly pendingBytes = 0;
  readonly busy = false;

  write(bytes: Buffer): void {
    if (bytes.length > 0) this.chunks.push(Buffer.from(bytes));
  }

  writeSource(): void {
    throw new Error('an in-memory session never writes an asynchronous source');
  }

  whenIdle(): Promise<void> {
    return Promise.resolve();
  }
}

export class RecordingServerSink implements ServerSink {
  readonly chunks: Buffer[] = [];
  /** commitToServer bytes (deleting commands), in order. */
  readonly commits: string[] = [];
  readonly pendingBytes = 0;
  stopped = false;

  write(bytes: Buffer): void {
    if (!this.stopped) this.chunks.push(Buffer.from(bytes));
  }

  commit(bytes: Buffer): void {
    if (this.stopped) return;
    this.chunks.push(Buffer.from(bytes));
    this.commits.push(bytes.toString('latin1'));
  }

  stop(): void {
    this.stopped = true;
  }
}

/** A scanner a test drives: each body's verdict comes from `verdictOf`, at once (auto) or when the test calls answer(bodyId). */
export class ScriptedScanner {
  /** Bodies handed to the scanner and not answered yet, oldest first. */
  readonly waiting: number[] = [];
  private readonly pending = new Map<number, { body: SpooledBody; context: BodyContext; answer: ScanAnswer }>();

  constructor(
    private readonly verdictOf: (bodyId: number, content: Buffer, context: BodyContext) => BodyScanResult,
    public auto: boolean,
  ) {}

  scan(bodyId: number, body: SpooledBody, context: BodyContext, answer: ScanAnswer): void {
    this.pending.set(bodyId, { body, context, answer });
    this.waiting.push(bodyId);
    if (this.auto) this.answer(bodyId);
  }

  /** Settles bodyId with `result`, or with the verdict of `verdictOf`. */
  answer(bodyId: number, result?: BodyScanResult): void {
    const scan = this.pending.get(bodyId);
    if (!scan) throw new Error(`body ${bodyId} is not waiting for a scan`);
    this.forget(bodyId);
    scan.answer.verdict(result ?? this.verdictOf(bodyId, scan.body.inMemory() ?? Buffer.alloc(0), scan.context));
  }

  /** The scanner itself breaks while scanning bodyId. */
  break(bodyId: number, error: unknown): void {
    const scan = this.pending.get(bodyId);
    if (!scan) throw new Error(`body ${bodyId} is not waiting for a scan`);
    this.forget(bodyId);
    scan.answer.failed(error);
  }

  /** The body will not be answered (its spool failed). */
  forget(bodyId: number): void {
    this.pending.delete(bodyId);
    const index = this.waiting.indexOf(bodyId);
    if (index >= 0) this.waiting.splice(index, 1);
  }
}

export interface InMemorySession {
  core: SessionCore;
  client: RecordingClientSink;
  server: RecordingServerSink;
  /** Throws what the core's fault boundary caught since the last call (an assertion of the harness, an engine bug). */
  rethrowFault(): void;
}

const silentLog = { debug() {}, info() {}, warn() {}, error() {} };

/** A SessionCore around `engine` with in-memory ports. */
export function inMemorySession(options: {
  engine: ProtocolEngine;
  scanner: ScriptedScanner;
  encoders?: Partial<Record<BodyEncoding, () => BodyEncoder>>;
  observe(output: EngineOutput): void;
  serverActions?: SessionServerActions;
}): InMemorySession {
  const client = new RecordingClientSink();
  const server = new RecordingServerSink();
  const unlimited = Number.POSITIVE_INFINITY;
  let fault: { error: unknown } | undefined;
  const core = new SessionCore({
    engine: options.engine,
    client,
    server,
    legs: { setReading() {}, endServer() {}, abortServer() {}, endClient() {} },
    scanner: options.scanner,
    openSpool: () => new InMemorySpool(),
    memory: new ProcessMemory(unlimited).openSession({ sessionBytes: unlimited, diskWriteWindowBytes: unlimited, scansWaiting: unlimited }),
    // Time moves only when the test ticks: no timer ever fires.
    timers: { after: () => ({ cancel() {} }) },
    encoders: options.encoders ?? {},
    log: silentLog,
    onEnd() {},
    observe: options.observe,
    serverActions: options.serverActions,
    onFault: (_stage, error) => {
      fault ??= { error };
    },
  });
  return {
    core,
    client,
    server,
    rethrowFault() {
      if (!fault) return;
      const { error } = fault;
      fault = undefined;
      throw error;
    },
  };
}
