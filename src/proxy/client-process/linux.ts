// Linux: the client socket is the /proc/net/tcp{,6} row whose *local* end is the client's address:port
// and whose remote end is our listener (the proxy's accepted socket is the mirror row). That row gives
// the socket's user and inode; SocketOwners finds the process holding the inode among that user's
// processes; exe and comm then name it. Every step is async, and reads are shared between lookups.
import { plainAddress } from '../excluded-ips.js';
import { coalesced, realProcFs, type ProcFs } from './proc-fs.js';
import { rowsWithLocalPort, type TcpRow } from './proc-net-tcp.js';
import { SocketOwners, type SocketOwnersOptions } from './socket-owners.js';
import type { ClientApplication, ClientLookup, ConnectionEnds } from './types.js';

export type { ProcFs } from './proc-fs.js';

export interface LinuxLookupOptions extends SocketOwnersOptions {
  /** This process's uid (root may read every user's processes; others only their own). */
  uid?: number;
}

export class LinuxClientLookup {
  readonly owners: SocketOwners;
  private readonly uid: number | undefined;
  /** One read of each table serves every lookup that asked for it before the read began. */
  private readonly tables: Record<'tcp' | 'tcp6', () => Promise<string>>;

  constructor(
    private readonly fs: ProcFs = realProcFs,
    options: LinuxLookupOptions = {},
  ) {
    this.owners = new SocketOwners(fs, options);
    this.uid = options.uid ?? process.getuid?.();
    const table = (path: string) => coalesced(() => this.fs.readFile(path).catch(() => ''));
    this.tables = { tcp: table('/proc/net/tcp'), tcp6: table('/proc/net/tcp6') };
  }

  async lookup(ends: ConnectionEnds): Promise<ClientLookup> {
    const row = await this.findRow(ends);
    if (!row) return { unknown: `no local socket ${plainAddress(ends.clientAddress)}:${ends.clientPort} in /proc/net/tcp (the client is not on this machine, or already gone)` };
    if (row.inode === 0) return { unknown: 'the client socket has no inode (closing)' };
    if (this.uid !== undefined && this.uid !== 0 && row.uid !== this.uid) {
      return { unknown: `the client runs as uid ${row.uid}; inboxguard runs as uid ${this.uid} and may not look at another user's processes` };
    }
    // A cached owner that has exited since is forgotten and the socket looked for once more.
    for (let attempt = 0; attempt < 2; attempt++) {
      const pid = await this.owners.owner(row.inode, row.uid);
      if (pid === undefined) return { unknown: `no process of uid ${row.uid} holds socket inode ${row.inode}` };
      const application = await this.describe(pid);
      if (application) return { application };
      this.owners.forget(pid);
    }
    return { unknown: `the process holding socket inode ${row.inode} exited` };
  }

  private async findRow(ends: ConnectionEnds): Promise<TcpRow | undefined> {
    const client = plainAddress(ends.clientAddress);
    const proxy = plainAddress(ends.proxyAddress);
    // An IPv4 client may still sit on a dual-stack IPv6 socket (then its row is in tcp6, v4-mapped).
    const tables = client.includes(':') ? (['tcp6'] as const) : (['tcp', 'tcp6'] as const);
    for (const table of tables) {
      const row = rowsWithLocalPort(await this.tables[table](), ends.clientPort).find(
        (candidate) => candidate.localAddress === client && candidate.remotePort === ends.proxyPort && candidate.remoteAddress === proxy,
      );
      if (row) return row;
    }
    return undefined;
  }

  /** Undefined when the process is gone. */
  private async describe(pid: number): Promise<ClientApplication | undefined> {
    const [exe, comm] = await Promise.all([
      this.fs.readlink(`/proc/${pid}/exe`).catch(() => undefined),
      this.fs.readFile(`/proc/${pid}/comm`).catch(() => undefined),
    ]);
    if (exe === undefined && comm === undefined) return undefined;
    const cleanExe = exe?.replace(/ \(deleted\)$/, '');
    const name = comm?.trim() || (cleanExe ? cleanExe.slice(cleanExe.lastIndexOf('/') + 1) : `pid ${pid}`);
    return { pid, ...(cleanExe ? { exe: cleanExe } : {}), name };
  }
}
