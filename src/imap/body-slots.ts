import type { EngineOutput, ScanOutcome } from '../protocol/engine.js';
import { CRLF } from './ascii.js';
import { Deferred } from './client-queue.js';
import type { BodySectionItem } from './fetch-item.js';
import { literalHeaderBytes } from './literal-header.js';
import type { BodyHandle, ScannedBodies } from './scanned-bodies.js';

// Queue pieces that stand in for parts of a FETCH response until they can be written: an
// intercepted body (waits for its scan), a slice of a cached scanned body, a rewritten
// RFC822.SIZE.

export interface Slice {
  origin: number;
  length: number;
}

/** Byte range of a partial fetch `<origin.length>` within content of the given size (RFC 3501 §6.4.5). */
export function sliceRange(slice: Slice, size: number): [number, number] {
  const start = Math.min(slice.origin, size);
  const end = Math.min(slice.origin + slice.length, size);
  return [start, Math.max(start, end)];
}

export type BodyFraming =
  | { kind: 'literal'; binary: boolean; terminator: Buffer }
  | { kind: 'quoted'; raw: Buffer };

/** Emits `{n}` + bodyToClient for bytes [start, end) of a body; `whole` omits the range. */
function emitLiteral(
  emit: (out: EngineOutput) => void,
  bodyId: number,
  binary: boolean,
  terminator: Buffer,
  start: number,
  end: number,
  whole: boolean,
): void {
  emit({ kind: 'toClient', bytes: literalHeaderBytes(end - start, binary, terminator) });
  if (end <= start) return;
  if (whole) emit({ kind: 'bodyToClient', bodyId, encoding: 'raw' });
  else emit({ kind: 'bodyToClient', bodyId, encoding: 'raw', start, end });
}

/** A body the session is scanning; `slot` writes its final framing and content. */
export class PendingBody {
  outcome: ScanOutcome | undefined;
  /** bodyEnd was emitted; a verdict is only acted on after that. */
  complete = false;
  /** The stream ended before the body was complete; nothing will be written for it. */
  abandoned = false;
  finalized = false;
  readonly slot: BodySlot;
  /** The account's verdict epoch when the body began (ScannedBodies.epoch): a clean verdict is kept only if it still holds. */
  readonly epoch: number;

  constructor(
    readonly handle: BodyHandle,
    readonly item: BodySectionItem,
    readonly declaredSize: number,
    readonly framing: BodyFraming,
    /** Set when the client asked for a partial fetch that the engine turned into a whole one. */
    readonly slice: Slice | undefined,
    bodies: ScannedBodies,
  ) {
    this.slot = new BodySlot(this, bodies);
    this.epoch = bodies.epoch;
  }
}

export class BodySlot extends Deferred {
  constructor(
    private readonly body: PendingBody,
    private readonly bodies: ScannedBodies,
  ) {
    super(false);
  }

  render(emit: (out: EngineOutput) => void): void {
    const body = this.body;
    const outcome = body.outcome;
    if (!body.abandoned && outcome) {
      const framing = body.framing;
      if (framing.kind === 'quoted' && !outcome.changed && !body.slice) {
        emit({ kind: 'toClient', bytes: framing.raw });
      } else {
        const binary = framing.kind === 'literal' && framing.binary;
        const terminator = framing.kind === 'literal' ? framing.terminator : CRLF;
        const [start, end] = body.slice ? sliceRange(body.slice, outcome.size) : [0, outcome.size];
        emitLiteral(emit, body.handle.id, binary, terminator, start, end, !body.slice);
      }
    }
    this.bodies.unref(body.handle);
  }
}

/** A slice of a cached scanned body, in place of the server's own (partial or whole) content. */
export class CachedSliceSlot extends Deferred {
  constructor(
    private readonly handle: BodyHandle,
    private readonly slice: Slice,
    private readonly binary: boolean,
    private readonly terminator: Buffer,
    private readonly bodies: ScannedBodies,
  ) {
    super(true);
    bodies.ref(handle);
  }

  render(emit: (out: EngineOutput) => void): void {
    const [start, end] = sliceRange(this.slice, this.handle.size);
    emitLiteral(emit, this.handle.id, this.binary, this.terminator, start, end, false);
    this.bodies.unref(this.handle);
  }
}

/** RFC822.SIZE, written with the size of the replaced message if it changed. */
export class SizeSlot extends Deferred {
  constructor(
    private readonly original: Buffer,
    private readonly currentSize: () => number | undefined,
    ready: boolean,
  ) {
    super(ready);
  }

  render(emit: (out: EngineOutput) => void): void {
    const size = this.currentSize();
    emit({ kind: 'toClient', bytes: size === undefined ? this.original : Buffer.from(String(size), 'latin1') });
  }
}
