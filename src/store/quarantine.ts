import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../types/verdict.js';
import type { MessageOrigin } from '../types/message-origin.js';
import { QUARANTINE_ID_PATTERN, quarantineIdFor } from './quarantine-id.js';
import { ensurePrivateDir, writePrivateFilesAsync, type PrivateFileContent } from '../private-files.js';

/** What is kept next to each quarantined original. */
export interface QuarantineRecord extends MessageOrigin {
  id: string;
  time: string;
  verdict: string;
  detections: Finding[];
  action: string;
  sha256: string;
  size: number;
  /**
   * The client fetched only a part (BODY[n]): the entry holds the message header over that part until
   * the session has read the whole message (then false, with the whole message's SHA-256).
   */
  partOnly?: boolean;
  wholeSha256?: string;
}

export type QuarantineInput = Omit<QuarantineRecord, 'id' | 'time' | 'sha256' | 'size' | 'wholeSha256'>;

/** An original that is not in memory: the first `fileBytes` bytes of the file at `path`, then `tail`. */
export interface OriginalFile {
  path: string;
  fileBytes: number;
  tail: Uint8Array;
}


/**
 * Originals of rewritten or blocked messages: <dir>/<id>.eml with <id>.json, both 0600 and fsynced.
 * The id is derived from the content, so a message downloaded again (another client, another session)
 * is kept once.
 */
export class Quarantine {
  private readonly pending = new Map<string, { record: QuarantineRecord; durable: Promise<void> }>();

  constructor(readonly dir: string) {}

  /**
   * Starts storing the original: the record is known at once, `durable` resolves once both files are
   * fsynced — await it before relaying anything rewritten.
   */
  begin(original: Buffer, input: QuarantineInput, now = new Date(), sha256 = createHash('sha256').update(original).digest('hex')): { record: QuarantineRecord; durable: Promise<void> } {
    return this.keep(sha256, original.length, input, now, { data: original });
  }

  /** begin() for an original that lies in a file (a spilled body): copied by the kernel, never read here. */
  beginFromFile(original: OriginalFile, input: QuarantineInput, now: Date, sha256: string): { record: QuarantineRecord; durable: Promise<void> } {
    return this.keep(sha256, original.fileBytes + original.tail.length, input, now, { source: original.path, sourceBytes: original.fileBytes, tail: original.tail });
  }

  private keep(sha256: string, size: number, input: QuarantineInput, now: Date, original: PrivateFileContent): { record: QuarantineRecord; durable: Promise<void> } {
    const id = quarantineIdFor(sha256);
    const inFlight = this.pending.get(id);
    if (inFlight) return inFlight;
    if (existsSync(this.jsonPath(id)) && existsSync(this.emlPath(id))) return { record: this.get(id), durable: Promise.resolve() };
    ensurePrivateDir(this.dir);
    const record: QuarantineRecord = { id, time: now.toISOString(), ...input, sha256, size };
    const durable = this.write(id, original, record);
    const entry = { record, durable };
    this.pending.set(id, entry); // a second download of the same original while this one is written shares it
    void durable.then(
      () => this.pending.delete(id),
      () => this.pending.delete(id),
    );
    return entry;
  }

  /** Stores the original and resolves once it is durable; rejects if it cannot be. */
  async store(original: Buffer, input: QuarantineInput, now = new Date()): Promise<QuarantineRecord> {
    const { record, durable } = this.begin(original, input, now);
    await durable;
    return record;
  }

  /** Replaces a part-only entry's content by the whole message it came from (same id, fsynced). */
  async completeWhole(id: string, whole: Buffer): Promise<QuarantineRecord> {
    await this.pending.get(id)?.durable;
    const record = this.get(id);
    if (!record.partOnly) return record;
    const completed: QuarantineRecord = { ...record, partOnly: false, size: whole.length, wholeSha256: createHash('sha256').update(whole).digest('hex') };
    await this.write(id, { data: whole }, completed);
    return completed;
  }

  /**
   * The original and its record, written and fsynced at the same time; the record is renamed into place
   * after the original, so an entry that lists is complete.
   */
  private write(id: string, original: PrivateFileContent, record: QuarantineRecord): Promise<void> {
    return writePrivateFilesAsync([
      { path: this.emlPath(id), content: original },
      { path: this.jsonPath(id), content: { data: `${JSON.stringify(record, null, 2)}\n` } },
    ]);
  }

  list(): QuarantineRecord[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((name) => name.endsWith('.json') && QUARANTINE_ID_PATTERN.test(name.slice(0, -5)))
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
    if (!QUARANTINE_ID_PATTERN.test(id) || !existsSync(this.jsonPath(id))) throw new QuarantineError(`no quarantined message with id ${id} (see: inboxguard quarantine list)`);
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
