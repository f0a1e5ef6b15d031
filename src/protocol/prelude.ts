import type { TlsMode } from '../types/tls-mode.js';
import type { Protocol } from './engine.js';
import type { LimitHit } from './limits.js';

// A prelude runs before the relay or protocol engine takes over: it reads the server greeting,
// upgrades the upstream leg with STARTTLS/STLS when configured, and on a STARTTLS client-side
// listener answers the client itself until the client has upgraded. Sans-io like the engines.

export type PreludeOutput =
  | { kind: 'toClient'; bytes: Buffer }
  | { kind: 'toServer'; bytes: Buffer }
  /** Upgrade that leg to TLS now, then call tlsReady(side). Bytes read so far on it were discarded. */
  | { kind: 'startTls'; side: 'client' | 'server' }
  /**
   * Negotiation finished. serverBytes/clientBytes are what the relay must process next, in order;
   * greetingPending says whether serverBytes starts with a greeting the client has not seen.
   */
  | { kind: 'ready'; protocol: Protocol; serverBytes: Buffer; clientBytes: Buffer; greetingPending: boolean }
  /** A peer went past a prelude limit (protocol/limits.ts); a close follows. */
  | ({ kind: 'protocolError' } & LimitHit)
  | { kind: 'close'; reason: string };

export interface Prelude {
  fromServer(bytes: Buffer): void;
  fromClient(bytes: Buffer): void;
  tlsReady(side: 'client' | 'server'): void;
  drain(): PreludeOutput[];
}

export interface PreludeOptions {
  clientTls: TlsMode;
  upstreamTls: TlsMode;
}
