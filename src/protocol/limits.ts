// The limits that bound what a peer (server, client, or whoever wrote the mail) can make the proxy hold
// or do, in one place. Numbers a user may tune come from the configuration; these are the defaults and
// the derivations from it. The MIME structure limits (nesting, entities, header lines) are
// DEFAULT_WALK_LIMITS in mime/types.ts, beside the walker that applies them.

const MiB = 1024 * 1024;

export interface MemoryLimits {
  /** Bytes one session may hold in memory (spooled bodies, client bytes queued behind a held body). */
  sessionBytes: number;
  /**
   * Bytes of one body kept in memory when it cannot be spilled to disk (disk full, temp dir unwritable);
   * beyond this (or beyond a budget) that body fails, and only its session is affected.
   */
  unspillableBodyBytes: number;
  /** Bytes on their way to a spool file; above this the session stops reading from the server until the disk catches up. */
  diskWriteWindowBytes: number;
  /** Complete bodies waiting for their scan; above this the session stops reading from the server, so one session cannot queue work ahead of all others. */
  scansWaiting: number;
}

/** Held bodies per session, in units of scan.memoryBufferBytes (the engines keep up to 4 for partial fetches). */
const SESSION_BODY_BUFFERS = 8;

/**
 * Complete bodies of one session waiting for their scans (the one in a worker included) before it stops
 * reading from the server. Fewer hold fewer bodies in memory but pause and resume the server's socket more
 * often: on the 300-message bulk IMAP fetch, 2 instead of 8 cut peak RSS 207.6 -> 183.6 MiB (3: 193.7;
 * bulk-memory.ts) but raised the main thread's CPU per 2 fetches 1946 -> 2130 ms and the other threads'
 * 1467 -> 1552 ms (bulk-thread-cpu.ts --rounds 3, one run), so 8 stays.
 */
export const SCANS_WAITING = 8;

/** Bytes all sessions together may hold in memory. */
export const PROCESS_MEMORY_BYTES = 512 * MiB;

/** The memory budgets for a proxy whose bodies spill to disk above `memoryBufferBytes` (scan.memoryBufferBytes). */
export function memoryLimits(memoryBufferBytes: number): MemoryLimits {
  return {
    sessionBytes: SESSION_BODY_BUFFERS * memoryBufferBytes,
    unspillableBodyBytes: 2 * memoryBufferBytes,
    diskWriteWindowBytes: Math.min(4 * MiB, memoryBufferBytes),
    scansWaiting: SCANS_WAITING,
  };
}

/** Client- or server-bound bytes a session's sink may hold before the session stops reading the other side. */
export const HIGH_WATER_BYTES = 4 * MiB;

/** Client-bound bytes the engine may queue behind a held body before the session stops reading the server. */
export const ENGINE_QUEUE_LIMIT_BYTES = 8 * MiB;

// ── protocol limits ──────────────────────────────────────────────────────────────────────────────
// What a peer may send in one line, literal, exchange or burst before the proxy stops reading it.
// A hit is reported as a `protocolError` engine output (see engine.ts) with the limit's name and value.

const KiB = 1024;

export interface ImapLimits {
  /** One client command line with its CRLF (literals excluded); a 1 MiB command is far beyond any real client. */
  clientLineBytes: number;
  /** One server response line with its CRLF (literals excluded); a huge SEARCH or THREAD result fits easily. */
  serverLineBytes: number;
  /** One client line of an AUTHENTICATE exchange (RFC 9051 §6.2.2: SASL responses have no length limit of their own). */
  saslResponseBytes: number;
  /** The size a client literal may announce (APPEND). Literals stream, so this bounds time, not memory. */
  clientLiteralBytes: number;
  /** The size a server literal may announce (FETCH bodies). */
  serverLiteralBytes: number;
  /**
   * Commands the client may have sent that the server has not completed yet, plus commands the proxy
   * still owes an answer. Each is kept until its tagged response; POP3's cap, for the same reason.
   */
  commandsOutstanding: number;
  /**
   * The ID command's arguments (RFC 2971 §3.3 allows 30 pairs of up to 30 + 1024 octets; clients send a
   * few hundred). Beyond it the command still goes to the server, but the client is not identified.
   */
  idBytes: number;
}

export interface Pop3Limits {
  /**
   * One client command line. RFC 2449 §4 caps commands at 255 octets and replies at 512, but RFC 5034
   * lifts the limit for AUTH; these only bound memory against a peer that never sends a line ending.
   */
  commandLineBytes: number;
  /** One client line answering an AUTH challenge (RFC 5034 §4: no limit of its own). */
  saslResponseBytes: number;
  /** One server status line (+OK / -ERR / + challenge). */
  statusLineBytes: number;
  /** One line of a multi-line reply the proxy rewrites (CAPA, LIST after a size change, the AUTH mechanism list). */
  multiLineBytes: number;
  /** Client bytes pipelined behind AUTH, held until the server says whether they are SASL responses. */
  clientBytesHeldDuringAuth: number;
  /** Commands sent and not yet answered; each is kept until its reply. */
  commandsOutstanding: number;
}

export interface PreludeLimits {
  /** One line during greeting, STARTTLS/STLS negotiation and a STARTTLS listener's plaintext phase. */
  lineBytes: number;
  /** Bytes held from one side while the other is not ready yet (before the greeting, before the client's TLS). */
  heldBytes: number;
}

export interface ProtocolLimits {
  imap: ImapLimits;
  pop3: Pop3Limits;
  prelude: PreludeLimits;
}

export const DEFAULT_PROTOCOL_LIMITS: Readonly<ProtocolLimits> = Object.freeze({
  imap: Object.freeze({
    clientLineBytes: 1 * MiB,
    serverLineBytes: 64 * MiB,
    saslResponseBytes: 1 * MiB,
    // The most a literal header's 15 digits can announce (literal-header.ts): exact in a JS number.
    clientLiteralBytes: 999_999_999_999_999,
    serverLiteralBytes: 999_999_999_999_999,
    commandsOutstanding: 10_000,
    idBytes: 8 * KiB,
  }),
  pop3: Object.freeze({
    commandLineBytes: 64 * KiB,
    saslResponseBytes: 1 * MiB,
    statusLineBytes: 64 * KiB,
    multiLineBytes: 64 * KiB,
    clientBytesHeldDuringAuth: 256 * KiB,
    commandsOutstanding: 10_000,
  }),
  prelude: Object.freeze({
    lineBytes: 8 * KiB,
    heldBytes: 64 * KiB,
  }),
});

/** A limit by name: `imap.clientLineBytes`, `pop3.commandsOutstanding` … (renaming one is a compile error). */
export type ProtocolLimitName =
  | `imap.${keyof ImapLimits}`
  | `pop3.${keyof Pop3Limits}`
  | `prelude.${keyof PreludeLimits}`;

/** A peer went past a limit: which side, which limit, and the limit's value. */
export interface LimitHit {
  side: 'client' | 'server';
  limit: ProtocolLimitName;
  value: number;
}
