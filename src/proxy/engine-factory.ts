import type { Config } from '../config/schema.js';
import { ImapEngine } from '../imap/index.js';
import { Pop3Engine } from '../pop3/engine.js';
import type { EngineOptions, Protocol, ProtocolEngine } from '../protocol/engine.js';
import type { ScannedCopyStore } from '../protocol/session-ports.js';
import { DEFAULT_PROTOCOL_LIMITS } from '../protocol/limits.js';

export type EngineSettings = Pick<Config, 'scan' | 'imap' | 'pop3'>;

export function engineOptions(settings: EngineSettings, expectGreeting: boolean): EngineOptions {
  return {
    expectGreeting,
    maxScanBytes: settings.scan.maxMessageBytes,
    keepaliveMs: settings.imap.keepaliveSeconds * 1000,
    maxHoldMs: settings.pop3.maxHoldSeconds * 1000,
    partialCacheBytes: 4 * settings.scan.memoryBufferBytes,
    limits: DEFAULT_PROTOCOL_LIMITS,
  };
}

/** scannedCopies: the account's shared scanned copies (IMAP). */
export function createEngine(protocol: Protocol, settings: EngineSettings, expectGreeting: boolean, listener: string, scannedCopies?: ScannedCopyStore): ProtocolEngine {
  const options = { ...engineOptions(settings, expectGreeting), listener };
  return protocol === 'imap' ? new ImapEngine({ ...options, scannedCopies }) : new Pop3Engine(options);
}
