// The bodies a session holds for one engine: spooled as they arrive, handed to the scanner when they
// end, settled exactly once (verdict, scan.onError by deadline or fault, or a lost spool), written to
// the client from their final content, and freed when the engine releases them. Part of the session
// core (session-core.ts), which owns the engine and the fault boundary these calls run in.
import type { BodyContext, BodyEncoding, EngineOutput, ProtocolEngine } from './engine.js';
import type { SessionMemory } from './memory-budget.js';
import type { BodyScanResult } from '../scan/body-scanner.js';
import { bodySource } from './body-source.js';
import type { BodyEncoder, ClientSink, ScannedCopy, ScannedCopyIntake, SessionLog, SessionScanner, SessionSpool, SessionTimers, Timer } from './session-ports.js';

/** Past scan.timeoutSeconds, how long the core still waits for a scanner before settling the body itself. */
export const SCAN_DEADLINE_GRACE_MS = 10_000;

interface Body {
  spool: SessionSpool;
  context: BodyContext;
  /** bodyEnd was seen: the body is with the scanner until it is settled. */
  scanning: boolean;
  /** Set once the engine has been told the outcome (by the scanner, or by the timeout policy). */
  result?: BodyScanResult;
  /** The engine was told the body failed (its spool lost it). */
  failed?: boolean;
  deadline?: Timer;
  /** The spool refused bytes of this body: it fails alone when it ends (the engine answers for it). */
  spoolFailure?: unknown;
  /** Counted among the session's bodies waiting for a scan (memory budget backpressure). */
  waitingCounted?: boolean;
  /** Its content is being handed to the account's shared copies (bodyShare); the spool stays until then. */
  sharing?: Promise<void>;
  /** Settled by scan.onError, not by a verdict: another session scans it afresh rather than take this copy. */
  byPolicy?: boolean;
}

/** What the held bodies need from the session core. */
export interface BodiesHost {
  engine: ProtocolEngine;
  client: ClientSink;
  scanner: SessionScanner;
  /** `announcedSize`: what the server announced for the body (a hint for sizing its memory). */
  openSpool(announcedSize?: number): SessionSpool;
  memory: SessionMemory;
  timers: SessionTimers;
  scanTimeoutMs?: number;
  encoders: Partial<Record<BodyEncoding, () => BodyEncoder>>;
  log: SessionLog;
  /** True once the session has ended (nothing is done any more). */
  ended(): boolean;
  /** True once the session has ended or is closing (the engine is told nothing more). */
  stopping(): boolean;
  /** The engine was told something: hand on what it now emits. */
  pump(): void;
  /** Runs work after the outputs being handled now, or at once (inside the fault boundary). */
  soon(stage: string, work: () => void): void;
  guard(stage: string, work: () => void): void;
  fault(stage: string, error: unknown): void;
  /** The quarantine kept only the part the client fetched: read the whole message for it when the session can. */
  wantWholeOriginal(context: BodyContext, quarantineId: string): void;
}

export class HeldBodies {
  private readonly bodies = new Map<number, Body>();
  /** Copies other sessions of the account kept, standing in as bodies of this one (bodyAdopt). */
  private readonly adopted = new Map<number, ScannedCopy>();

  constructor(private readonly host: BodiesHost) {}

  begin(bodyId: number, context: BodyContext, announcedSize?: number): void {
    this.bodies.set(bodyId, { spool: this.host.openSpool(announcedSize), scanning: false, context });
  }

  append(bodyId: number, bytes: Buffer): void {
    const body = this.bodies.get(bodyId);
    if (!body || body.spoolFailure !== undefined) return;
    try {
      body.spool.append(bytes);
    } catch (error) {
      body.spoolFailure = error;
    }
  }

  /** The body is complete: it goes to the scanner (or fails, when its spool refused part of it). */
  end(bodyId: number, context: Partial<BodyContext> | undefined): void {
    const body = this.bodies.get(bodyId);
    if (!body) return;
    if (context) Object.assign(body.context, context);
    const failure = body.spoolFailure;
    if (failure !== undefined) return this.host.soon('spool', () => this.bodyFailed(bodyId, body, failure));
    body.scanning = true;
    this.host.memory.scanWaiting(1);
    body.waitingCounted = true;
    const { scanTimeoutMs } = this.host;
    if (scanTimeoutMs !== undefined) {
      body.deadline = this.host.timers.after(scanTimeoutMs + SCAN_DEADLINE_GRACE_MS, 'scan deadline', () =>
        this.host.guard('scan deadline', () => this.settleByPolicy(bodyId, 'the scanner did not answer by scan.timeoutSeconds; settled by the scan.onError policy')),
      );
    }
    let finished: Promise<void> | void;
    try {
      finished = body.spool.finish();
    } catch (error) {
      return this.host.soon('spool', () => this.bodyFailed(bodyId, body, error));
    }
    if (!finished) return this.askScanner(bodyId, body);
    finished.then(
      () => this.host.guard('scanner', () => this.askScanner(bodyId, body)),
      (error: unknown) => this.host.guard('spool', () => this.bodyFailed(bodyId, body, error)),
    );
  }

  /** The client cannot wait (engine) or the scanner did not answer (safety net): scan.onError decides now. */
  settleByPolicy(bodyId: number, message: string): void {
    const body = this.bodies.get(bodyId);
    if (!body || body.result || body.failed) return;
    const result = this.byPolicy(body);
    body.byPolicy = true;
    this.host.log.warn({ section: body.context.section, seq: body.context.seq, changed: result.changed }, message);
    this.host.soon('settling a scan', () => this.settle(bodyId, body, result));
  }

  /** The body could not be kept (its spool lost it): only its response fails, the engine decides how. */
  fail(bodyId: number, error: unknown): void {
    const body = this.bodies.get(bodyId);
    if (body) this.host.soon('spool', () => this.bodyFailed(bodyId, body, error));
  }

  /** A fault closes the session: every scan in progress is settled by scan.onError and not delivered. */
  settleAllByPolicy(): void {
    for (const [bodyId, body] of this.bodies) {
      if (!body.scanning || body.result || body.failed) continue;
      body.deadline?.cancel();
      try {
        body.result = this.byPolicy(body);
        this.host.log.warn({ bodyId, section: body.context.section, seq: body.context.seq }, 'scan settled by the scan.onError policy; the session closes without delivering it');
      } catch (settleError) {
        this.host.log.error({ err: settleError, bodyId }, 'settling a scan after a fault failed too');
      }
    }
  }

  adopt(bodyId: number, copy: ScannedCopy): void {
    this.adopted.set(bodyId, copy);
  }

  /** The engine says the body's delivered content is final: hand it to the account's shared copies. */
  share(bodyId: number, intake: ScannedCopyIntake): void {
    const body = this.bodies.get(bodyId);
    if (!body?.result || body.byPolicy || body.failed || body.spoolFailure !== undefined) return;
    let content;
    try {
      content = bodySource(body.spool, body.result, { encoding: 'raw' }, {});
    } catch (error) {
      this.host.log.warn({ err: error }, 'a scanned copy could not be shared');
      return;
    }
    body.sharing = intake.put(content).catch((error: unknown) => this.host.log.warn({ err: error }, 'a scanned copy could not be shared'));
  }

  release(bodyId: number): void {
    const copy = this.adopted.get(bodyId);
    if (copy) {
      this.adopted.delete(bodyId);
      // It may still be streaming to the client.
      void this.host.client.whenIdle().then(() => copy.release());
      return;
    }
    const body = this.bodies.get(bodyId);
    this.bodies.delete(bodyId);
    if (!body) return;
    body.deadline?.cancel();
    this.stopWaiting(body);
    // Released bodies may still be streaming to the client; free them once the sink is done with them.
    void Promise.all([this.host.client.whenIdle(), body.sharing]).then(() => this.dispose(body));
  }

  writeToClient(output: Extract<EngineOutput, { kind: 'bodyToClient' }>): void {
    const copy = this.adopted.get(output.bodyId);
    if (copy) return this.writeCopy(copy, output);
    const body = this.bodies.get(output.bodyId);
    if (!body) throw new Error(`protocol engine referred to unknown body ${output.bodyId}`);
    const source = bodySource(body.spool, body.result, output, this.host.encoders);
    if (Symbol.asyncIterator in source) return this.host.client.writeSource(source);
    for (const chunk of source) this.host.client.write(chunk);
  }

  private writeCopy(copy: ScannedCopy, output: Extract<EngineOutput, { kind: 'bodyToClient' }>): void {
    if (output.encoding !== 'raw') throw new Error(`a shared scanned copy cannot be written as ${output.encoding}`);
    const source = copy.read(output.start ?? 0, output.end ?? copy.size);
    if (Symbol.asyncIterator in source) return this.host.client.writeSource(source);
    for (const chunk of source) this.host.client.write(chunk);
  }

  /** The session ended: every spool is freed. */
  disposeAll(): void {
    for (const copy of this.adopted.values()) copy.release();
    this.adopted.clear();
    for (const body of this.bodies.values()) {
      body.deadline?.cancel();
      this.dispose(body);
    }
    this.bodies.clear();
  }

  private askScanner(bodyId: number, body: Body): void {
    if (this.host.ended() || body.result || body.failed) return;
    let answered = false;
    const once = (answer: () => void): void => {
      if (answered) return;
      answered = true;
      answer();
    };
    this.host.scanner.scan(bodyId, body.spool, body.context, {
      verdict: (result) => once(() => this.host.soon('settling a scan', () => this.settle(bodyId, body, result))),
      failed: (error) => once(() => this.host.fault('scanner', error)),
    });
  }

  private settle(bodyId: number, body: Body, result: BodyScanResult): void {
    if (this.host.stopping() || body.result || body.failed) return;
    body.result = result;
    body.deadline?.cancel();
    this.stopWaiting(body);
    const size = result.changed ? result.content.length : body.spool.size;
    this.host.engine.scanned(bodyId, { size, changed: result.changed, clean: result.clean === true && !result.changed });
    if (result.partOnlyQuarantineId !== undefined) this.host.wantWholeOriginal(body.context, result.partOnlyQuarantineId);
    this.host.pump();
  }

  private bodyFailed(bodyId: number, body: Body, error: unknown): void {
    if (this.host.stopping() || body.result || body.failed) return;
    body.failed = true;
    body.deadline?.cancel();
    this.stopWaiting(body);
    const reason = error instanceof Error ? error.message : String(error);
    this.host.log.error({ err: error, section: body.context.section, seq: body.context.seq }, 'message body could not be spooled');
    this.host.scanner.lost?.(body.context, reason);
    this.host.engine.bodyFailed(bodyId, reason);
    this.host.pump();
  }

  /** What scan.onError decides for a body whose scan cannot be waited for (the scanner's timedOut; default: unchanged). */
  private byPolicy(body: Body): BodyScanResult {
    return this.host.scanner.timedOut?.(body.spool, body.context) ?? { changed: false };
  }

  private stopWaiting(body: Body): void {
    if (!body.waitingCounted) return;
    body.waitingCounted = false;
    this.host.memory.scanWaiting(-1);
  }

  private dispose(body: Body): void {
    try {
      body.spool.dispose();
    } catch (error) {
      this.host.log.warn({ err: error }, 'a spooled body could not be removed');
    }
  }
}
