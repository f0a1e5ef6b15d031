// Linux: the client socket is the /proc/net/tcp{,6} row whose *local* end is the client's address:port
// and whose remote end is our listener (the proxy's accepted socket is the mirror row). Its inode is
// found among the /proc/PID/fd links ("socket:[INODE]"); exe and comm then name the process.
// Every step is async and the fd scan is shared, bounded and cached, so no session waits on another.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { plainAddress } from '../excluded-ips.js';
import { parseProcNetTcp, type TcpRow } from './proc-net-tcp.js';
import type { ClientLookup, ConnectionEnds } from './types.js';

const MAX_CACHED_INODES = 65_536;
const MAX_RECENT_PIDS = 32;
const PROCESS_SCAN_CONCURRENCY = 16;

export interface ProcFs {
  readFile(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
  readlink(path: string): Promise<string>;
}

const realProcFs: ProcFs = {
  readFile: (path) => readFile(path, 'utf8'),
  readdir: (path) => readdir(path),
  readlink: (path) => readlink(path),
};

export class LinuxClientLookup {
  /** Socket inode → owning pid, from earlier scans. */
  private readonly inodeOwners = new Map<number, number>();
  /** Processes that owned client connections before: scanned first, mail clients reconnect often. */
  private recentPids: number[] = [];
  private scanning: Promise<void> | undefined;

  constructor(private readonly fs: ProcFs = realProcFs) {}

  async lookup(ends: ConnectionEnds): Promise<ClientLookup> {
    const row = await this.findRow(ends);
    if (!row) return { unknown: `no local socket ${plainAddress(ends.clientAddress)}:${ends.clientPort} in /proc/net/tcp (the client is not on this machine, or already gone)` };
    if (row.inode === 0) return { unknown: 'the client socket has no inode (closing)' };
    const pid = await this.ownerOf(row.inode);
    if (pid === undefined) return { unknown: `no process owns socket inode ${row.inode} (another user's process, without permission to look)` };
    return { application: await this.describe(pid) };
  }

  private async findRow(ends: ConnectionEnds): Promise<TcpRow | undefined> {
    const client = plainAddress(ends.clientAddress);
    const proxy = plainAddress(ends.proxyAddress);
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text: string;
      try {
        text = await this.fs.readFile(table);
      } catch {
        continue;
      }
      const row = parseProcNetTcp(text).find(
        (candidate) => candidate.localPort === ends.clientPort && candidate.localAddress === client && candidate.remotePort === ends.proxyPort && candidate.remoteAddress === proxy,
      );
      if (row) return row;
    }
    return undefined;
  }

  private async ownerOf(inode: number): Promise<number | undefined> {
    const cached = this.inodeOwners.get(inode);
    if (cached !== undefined && (await this.ownsInode(cached, inode))) return cached;
    for (const pid of this.recentPids) {
      if (await this.ownsInode(pid, inode)) return this.remember(pid, inode);
    }
    // One full scan at a time; a lookup that arrives during a scan re-checks the cache afterwards.
    while (this.scanning) await this.scanning;
    const found = this.inodeOwners.get(inode);
    if (found !== undefined) return this.remember(found, inode);
    this.scanning = this.scanAll().finally(() => (this.scanning = undefined));
    await this.scanning;
    const owner = this.inodeOwners.get(inode);
    return owner === undefined ? undefined : this.remember(owner, inode);
  }

  private remember(pid: number, inode: number): number {
    this.inodeOwners.set(inode, pid);
    this.recentPids = [pid, ...this.recentPids.filter((other) => other !== pid)].slice(0, MAX_RECENT_PIDS);
    return pid;
  }

  private async ownsInode(pid: number, inode: number): Promise<boolean> {
    return (await this.socketInodes(pid)).includes(inode);
  }

  private async socketInodes(pid: number): Promise<number[]> {
    let fds: string[];
    try {
      fds = await this.fs.readdir(`/proc/${pid}/fd`);
    } catch {
      return [];
    }
    const inodes: number[] = [];
    await Promise.all(
      fds.map(async (fd) => {
        try {
          const match = /^socket:\[(\d+)\]$/.exec(await this.fs.readlink(`/proc/${pid}/fd/${fd}`));
          if (match) inodes.push(Number(match[1]));
        } catch {
          // closed meanwhile
        }
      }),
    );
    return inodes;
  }

  private async scanAll(): Promise<void> {
    if (this.inodeOwners.size > MAX_CACHED_INODES) this.inodeOwners.clear();
    let entries: string[];
    try {
      entries = await this.fs.readdir('/proc');
    } catch {
      return;
    }
    const pids = entries.filter((name) => /^\d+$/.test(name)).map(Number);
    for (let i = 0; i < pids.length; i += PROCESS_SCAN_CONCURRENCY) {
      await Promise.all(
        pids.slice(i, i + PROCESS_SCAN_CONCURRENCY).map(async (pid) => {
          for (const inode of await this.socketInodes(pid)) this.inodeOwners.set(inode, pid);
        }),
      );
    }
  }

  private async describe(pid: number): Promise<{ pid: number; exe?: string; name: string }> {
    const [exe, comm] = await Promise.all([
      this.fs.readlink(`/proc/${pid}/exe`).catch(() => undefined),
      this.fs.readFile(`/proc/${pid}/comm`).catch(() => undefined),
    ]);
    const cleanExe = exe?.replace(/ \(deleted\)$/, '');
    const name = comm?.trim() || (cleanExe ? cleanExe.slice(cleanExe.lastIndexOf('/') + 1) : `pid ${pid}`);
    return { pid, ...(cleanExe ? { exe: cleanExe } : {}), name };
  }
}
