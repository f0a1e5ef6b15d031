// The bytes of a message fed in chunks that a reader still needs: from a position it names (`keepFrom`)
// to the last byte fed. Positions are absolute offsets in the message. Appending drops what lies before
// `keepFrom`, so a reader that keeps little holds little, whatever the size of the message.

export class ByteWindow {
  /** Absolute offset of `bytes[0]`. */
  private base = 0;
  private storage: Buffer = Buffer.alloc(0);
  private used = 0;
  /** storage[0, used): the bytes held. A view; valid until the next append or settle. */
  bytes: Buffer = this.storage;
  /** The chunk being processed is referenced, not copied; settle() copies what is kept out of it. */
  private borrowed = false;
  /** Bytes copied or moved so far: linear in the input when what is kept stays bounded. */
  copied = 0;

  get start(): number {
    return this.base;
  }

  /** Absolute offset just past the last byte fed. */
  get end(): number {
    return this.base + this.used;
  }

  /** Index in `bytes` of absolute position `position`. */
  at(position: number): number {
    return position - this.base;
  }

  append(chunk: Uint8Array, keepFrom: number): void {
    this.drop(keepFrom);
    if (this.used === 0) {
      this.storage = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      this.used = chunk.byteLength;
      this.borrowed = true;
    } else {
      this.own(this.used + chunk.byteLength);
      this.storage.set(chunk, this.used);
      this.used += chunk.byteLength;
      this.copied += chunk.byteLength;
    }
    this.bytes = this.storage.subarray(0, this.used);
  }

  /** After a chunk is processed: the caller may reuse it, so the bytes still needed are copied. */
  settle(keepFrom: number): void {
    this.drop(keepFrom);
    if (this.borrowed) this.own(this.used);
    this.bytes = this.storage.subarray(0, this.used);
  }

  private drop(keepFrom: number): void {
    const dropped = Math.min(Math.max(keepFrom - this.base, 0), this.used);
    if (dropped === 0) return;
    if (this.borrowed) this.storage = this.storage.subarray(dropped);
    else {
      this.storage.copyWithin(0, dropped, this.used);
      this.copied += this.used - dropped;
    }
    this.base += dropped;
    this.used -= dropped;
  }

  /** Storage of its own with room for `capacity` bytes, the held bytes moved to its start. */
  private own(capacity: number): void {
    if (!this.borrowed && capacity <= this.storage.length) return;
    const next = Buffer.allocUnsafe(this.borrowed ? capacity : Math.max(capacity, 2 * this.storage.length));
    this.storage.copy(next, 0, 0, this.used);
    this.copied += this.used;
    this.storage = next;
    this.borrowed = false;
  }
}
