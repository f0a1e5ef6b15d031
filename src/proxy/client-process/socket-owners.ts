// Which process holds a socket inode. /proc/net/tcp names the socket's user, so only that user's
// processes are read: first those that held client sockets before (a mail client reconnects), then
// the rest, newest pid first. What each process's fd table held is kept across connections, and one
// scan serves every lookup waiting at the time: concurrent connections from one client cost one read
// of that client's fd table, not one full /proc scan each.
import { socketInode, type ProcFs } from './proc-fs.js';

export interface SocketOwnersOptions {
  /** How many processes that owned client sockets are remembered and read first. */
  recentLimit?: number;
  /** fd tables read per event-loop turn (the reads are synchronous; between turns other work runs). */
  tablesPerTurn?: number;
  /** Gives the event loop a turn; setImmediate by default. */
  yieldTurn?: () => Promise<void>;
}

interface Waiter {
  inode: number;
  uid: number;
  resolve(pid: number | undefined): void;
}

export interface ScanCounts {
  /** Scans run (each served every lookup waiting when it started, and those that came during it). */
  scans: number;
  /** fd tables read. */
  fdTablesRead: number;
  /** Times /proc itself was listed (recent processes did not hold the socket). */
  procListings: number;
}

export class SocketOwners {
  private readonly inodesByPid = new Map<number, Set<number>>();
  private readonly ownerByInode = new Map<number, number>();
  private readonly uidByPid = new Map<number, number>();
  private recent: number[] = [];
  private waiting: Waiter[] = [];
  private scanning = false;
  private readonly recentLimit: number;
  private readonly tablesPerTurn: number;
  private readonly yieldTurn: () => Promise<void>;
  readonly counts: ScanCounts = { scans: 0, fdTablesRead: 0, procListings: 0 };

  constructor(
    private readonly fs: ProcFs,
    options: SocketOwnersOptions = {},
  ) {
    this.recentLimit = options.recentLimit ?? 32;
    this.tablesPerTurn = options.tablesPerTurn ?? 8;
    this.yieldTurn = options.yieldTurn ?? (() => new Promise((resolve) => setImmediate(resolve)));
  }

  /** The pid holding the socket, or undefined when no process of that user (that we may read) does. */
  owner(inode: number, uid: number): Promise<number | undefined> {
    const known = this.ownerByInode.get(inode);
    if (known !== undefined) {
      this.markRecent(known);
      return Promise.resolve(known);
    }
    return new Promise((resolve) => {
      this.waiting.push({ inode, uid, resolve });
      if (!this.scanning) void this.scan();
    });
  }

  /** The process is gone (or no longer what was cached): its fd table is read again when next needed. */
  forget(pid: number): void {
    for (const inode of this.inodesByPid.get(pid) ?? []) {
      if (this.ownerByInode.get(inode) === pid) this.ownerByInode.delete(inode);
    }
    this.inodesByPid.delete(pid);
    this.uidByPid.delete(pid);
    this.recent = this.recent.filter((other) => other !== pid);
  }

  private async scan(): Promise<void> {
    this.scanning = true;
    try {
      // A lookup that arrives during a scan is answered by it if a table read afterwards holds its
      // socket; otherwise it waits for the next scan, which starts with the processes seen recently.
      while (this.waiting.length > 0) await this.scanOnce(this.waiting);
    } finally {
      // Runs in the same turn as the loop's last check, so no lookup can be left without a scan.
      this.scanning = false;
    }
  }

  /** Reads fd tables until every lookup in `batch` is answered or every candidate was read. */
  private async scanOnce(batch: Waiter[]): Promise<void> {
    this.counts.scans++;
    const uids = new Set(batch.map((waiter) => waiter.uid));
    const pending = () => batch.some((waiter) => this.waiting.includes(waiter));
    const read = new Set<number>();
    const readAll = async (pids: number[]) => {
      for (let i = 0; i < pids.length && pending(); i += this.tablesPerTurn) {
        if (i > 0) await this.yieldTurn();
        const slice = pids.slice(i, i + this.tablesPerTurn).filter((pid) => !read.has(pid));
        for (const pid of slice) read.add(pid);
        await Promise.all(slice.map((pid) => this.readFdTable(pid)));
        this.answerWaiters();
      }
    };
    await readAll(this.recent.filter((pid) => uids.has(this.uidByPid.get(pid) ?? -1)));
    if (pending()) await readAll(await this.candidates(uids, read));
    // Everything that could hold these sockets was read after they existed: nobody we may see holds them.
    for (const waiter of batch) {
      if (!this.waiting.includes(waiter)) continue;
      this.waiting = this.waiting.filter((other) => other !== waiter);
      waiter.resolve(undefined);
    }
  }

  /** The user's processes not read yet in this scan, newest pid first; pids gone from /proc are forgotten. */
  private async candidates(uids: Set<number>, read: Set<number>): Promise<number[]> {
    this.counts.procListings++;
    let entries: string[];
    try {
      entries = await this.fs.readdir('/proc');
    } catch {
      return [];
    }
    const alive = new Set(entries.filter((name) => /^\d+$/.test(name)).map(Number));
    for (const pid of this.uidByPid.keys()) if (!alive.has(pid)) this.forget(pid);
    const unread = [...alive].filter((pid) => !read.has(pid)).sort((a, b) => b - a);
    const unknownUid = unread.filter((pid) => !this.uidByPid.has(pid));
    for (let i = 0; i < unknownUid.length; i += this.tablesPerTurn * 8) {
      if (i > 0) await this.yieldTurn();
      await Promise.all(
        unknownUid.slice(i, i + this.tablesPerTurn * 8).map(async (pid) => {
          try {
            this.uidByPid.set(pid, await this.fs.ownerUid(`/proc/${pid}`));
          } catch {
            // exited meanwhile
          }
        }),
      );
    }
    return unread.filter((pid) => uids.has(this.uidByPid.get(pid) ?? -1));
  }

  private async readFdTable(pid: number): Promise<void> {
    this.counts.fdTablesRead++;
    let fds: string[];
    try {
      fds = await this.fs.readdir(`/proc/${pid}/fd`);
    } catch {
      return this.forget(pid);
    }
    const inodes = new Set<number>();
    await Promise.all(
      fds.map(async (fd) => {
        const inode = socketInode(await this.fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''));
        if (inode !== undefined) inodes.add(inode);
      }),
    );
    for (const inode of this.inodesByPid.get(pid) ?? []) {
      if (!inodes.has(inode) && this.ownerByInode.get(inode) === pid) this.ownerByInode.delete(inode);
    }
    this.inodesByPid.set(pid, inodes);
    for (const inode of inodes) this.ownerByInode.set(inode, pid);
  }

  private answerWaiters(): void {
    const still: Waiter[] = [];
    for (const waiter of this.waiting) {
      const pid = this.ownerByInode.get(waiter.inode);
      if (pid === undefined) {
        still.push(waiter);
        continue;
      }
      this.markRecent(pid);
      waiter.resolve(pid);
    }
    this.waiting = still;
  }

  private markRecent(pid: number): void {
    if (this.recent[0] === pid) return;
    this.recent = [pid, ...this.recent.filter((other) => other !== pid)].slice(0, this.recentLimit);
  }
}
