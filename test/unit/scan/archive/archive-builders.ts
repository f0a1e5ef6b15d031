import tar from 'tar-stream';
import { gzipSync } from 'node:zlib';
import { writeZip } from './zip-writer.js';

export const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');

export interface TarEntrySpec {
  name: string;
  data?: Buffer;
  type?: 'file' | 'symlink' | 'directory' | 'character-device' | 'link';
  linkname?: string;
}

export async function writeTar(entries: TarEntrySpec[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const entry of entries) {
    pack.entry({ name: entry.name, type: entry.type ?? 'file', linkname: entry.linkname }, entry.data ?? Buffer.alloc(0));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) {
    if (!Buffer.isBuffer(chunk)) throw new TypeError('tar-stream produced a non-Buffer chunk');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function writeGzip(data: Buffer): Buffer {
  return gzipSync(data);
}

/** A zip holding `inner` as `name`, `depth` times over: depth 1 is just one zip around `inner`. */
export function nestZips(inner: Buffer, innerName: string, depth: number): Buffer {
  let content = writeZip([{ name: innerName, data: inner }]);
  for (let level = 2; level <= depth; level++) content = writeZip([{ name: `level${level - 1}.zip`, data: content }]);
  return content;
}

/**
 * 42.zip in miniature: `levels` levels of zips, each holding `copies` copies of the level below;
 * the bottom level holds `copies` files of `leafBytes` zeros.
 */
export function writeRecursiveBomb(levels: number, copies: number, leafBytes: number): Buffer {
  const zeros = Buffer.alloc(leafBytes);
  let content = writeZip(Array.from({ length: copies }, (_, index) => ({ name: `${index}.bin`, data: zeros })));
  for (let level = 1; level < levels; level++) {
    const below = content;
    content = writeZip(Array.from({ length: copies }, (_, index) => ({ name: `${index}.zip`, data: below })));
  }
  return content;
}
