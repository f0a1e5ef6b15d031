import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../scan/types.js';
import type { MessageOrigin } from './message-origin.js';
import { ensurePrivateDir, writePrivateFileAsync } from './private-files.js';

/** What is kept next to each quarantined original. */
export interface QuarantineRecord extends MessageOrigin {
  id: string;
  time: string;
  verdict: string;
  detections: Finding[];
  action: string;
  sha256: string;
  size: number;
}

export type QuarantineInput = Omit<QuarantineRecord, 'id' | 'time' | 'sha256' | 'size'>;

const ID_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;

/**
 * Originals of rewritten or blocked messages: <dir>/<id>.eml with <id>.json, both 0600 and fsynced.
 * One copy per original: a message downloaded again (another client, another session) reuses it.
 */
export class Quarantine {
  private bySha256: Map<string, { record: QuarantineRecord; durable: Promise<void> }> | undefined;

  constructor(readonly dir: string) {}

  /**
   * Starts storing the original: the record (with its id, for the notice) is known at once, `durable`
   * resolves once both files are fsynced — await it before relaying anything rewritten.
   */
  begin(original: Buffer, input: QuarantineInput, now = new Date()): { record: QuarantineRecord; durable: Promise<void> } {
    const sha256 = createHash('sha256').update(original).digest('hex');
    const known = this.index().get(sha256);
    if (known) return known;
    ensurePrivateDir(this.dir);
    const id = `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(4).toString('hex')}`;
    const record: QuarantineRecord = {
      id,
      time: now.toISOString(),
      ...input,
      sha256,
      size: original.length,
    };
    const durable = (async () => {
      await writePrivateFileAsync(this.emlPath(id), original);
      await writePrivateFileAsync(this.jsonPath(id), `${JSON.stringify(record, null, 2)}\n`);
    })();
    const entry = { record, durable };
    this.index().set(sha256, entry); // a second download of the same original while this one is written shares it
    durable.catch(() => this.index().delete(sha256));
    return entry;
  }

  /** Stores the original and resolves once it is durable; rejects if it cannot be. */
  async store(original: Buffer, input: QuarantineInput, now = new Date()): Promise<QuarantineRecord> {
    const { record, durable } = this.begin(original, input, now);
    await durable;
    return record;
  }

  private index(): Map<string, { record: QuarantineRecord; durable: Promise<void> }> {
    this.bySha256 ??= new Map(this.list().map((record) => [record.sha256, { record, durable: Promise.resolve() }]));
    return this.bySha256;
  }

  list(): QuarantineRecord[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((name) => name.endsWith('.json') && ID_PATTERN.test(name.slice(0, -5)))
      .map((name) => JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as QuarantineRecord)
      .sort((a, b) => a.time.localeCompare(b.time));
  }

  get(id: string): QuarantineRecord {
    return JSON.parse(readFileSync(this.jsonPath(this.checked(id)), 'utf8')) as QuarantineRecord;
  }

  original(id: string): Buffer {
    return readFileSync(this.emlPath(this.checked(id)));
  }

  exportTo(id: string, file: string): void {
    copyFileSync(this.emlPath(this.checked(id)), file);
  }

  delete(id: string): void {
    this.checked(id);
    for (const [sha256, entry] of this.index()) if (entry.record.id === id) this.index().delete(sha256);
    rmSync(this.emlPath(id), { force: true });
    rmSync(this.jsonPath(id), { force: true });
  }

  /** Deletes entries older than maxAgeMs; returns how many. */
  purge(maxAgeMs: number, now = Date.now()): number {
    const old = this.list().filter((record) => now - Date.parse(record.time) > maxAgeMs);
    for (const record of old) this.delete(record.id);
    return old.length;
  }

  private checked(id: string): string {
    if (!ID_PATTERN.test(id) || !existsSync(this.jsonPath(id))) throw new QuarantineError(`no quarantined message with id ${id} (see: inboxguard quarantine list)`);
    return id;
  }

  private emlPath(id: string): string {
    return join(this.dir, `${id}.eml`);
  }

  private jsonPath(id: string): string {
    return join(this.dir, `${id}.json`);
  }
}

export class QuarantineError extends Error {}

export function quarantineDir(dataDir: string): string {
  return join(dataDir, 'quarantine');
}
