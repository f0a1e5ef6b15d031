import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinuxClientLookup } from '../../../src/proxy/client-process/linux.js';
import { coalesced, socketInode, type ProcFs } from '../../../src/proxy/client-process/proc-fs.js';
import { SocketOwners } from '../../../src/proxy/client-process/socket-owners.js';
import { decodeProcAddress, parseProcNetTcp, rowsWithLocalPort } from '../../../src/proxy/client-process/proc-net-tcp.js';
import { parseLsofFields } from '../../../src/proxy/client-process/darwin.js';
import { imageFromTasklist, pidFromNetstat } from '../../../src/proxy/client-process/windows.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
// Client 127.0.0.1:40000 → proxy 127.0.0.1:10993, and the proxy's accepted socket (the mirror row).
const TCP =
  HEADER +
  '   0: 0100007F:2AF1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0\n' +
  '   1: 0100007F:9C40 0100007F:2AF1 01 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000000000000 20 4 30 10 -1\n' +
  '   2: 0100007F:2AF1 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 20 4 30 10 -1\n';
const TCP6 = HEADER + '   0: 00000000000000000000000001000000:9C41 00000000000000000000000001000000:2AF1 01 00000000:00000000 00:00000000 00000000  1000 0 444 1\n';

/** Fixture /proc: files, directories and links as plain maps the test may change; every read is recorded. */
function fakeProc(files: Record<string, string>, dirs: Record<string, string[]>, links: Record<string, string>, uids: Record<string, number> = {}): ProcFs & { readdirs: string[]; uidReads: string[] } {
  const readdirs: string[] = [];
  const uidReads: string[] = [];
  const missing = () => Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  return {
    readdirs,
    uidReads,
    readFile: async (path) => {
      if (path in files) return files[path];
      throw missing();
    },
    readdir: async (path) => {
      readdirs.push(path);
      if (path in dirs) return dirs[path];
      throw missing();
    },
    readlink: async (path) => {
      if (path in links) return links[path];
      throw missing();
    },
    ownerUid: async (path) => {
      uidReads.push(path);
      if (path in uids) return uids[path];
      throw missing();
    },
  };
}

const ends = { clientAddress: '127.0.0.1', clientPort: 40000, proxyAddress: '127.0.0.1', proxyPort: 10993 };

describe('/proc parsing', () => {
  it('decodes IPv4, IPv6 and IPv4-mapped addresses', () => {
    assert.equal(decodeProcAddress('0100007F'), '127.0.0.1');
    assert.equal(decodeProcAddress('0200007F'), '127.0.0.2');
    assert.equal(decodeProcAddress('00000000000000000000000001000000'), '::1');
    assert.equal(decodeProcAddress('0000000000000000FFFF00000100007F'), '127.0.0.1');
    assert.equal(decodeProcAddress('B80D0120000000000000000001000000'), '2001:db8::1');
  });

  it('reads local, remote, owner uid and inode of every row', () => {
    assert.deepEqual(parseProcNetTcp(TCP)[1], { localAddress: '127.0.0.1', localPort: 40000, remoteAddress: '127.0.0.1', remotePort: 10993, uid: 1000, inode: 222 });
    assert.equal(parseProcNetTcp(TCP)[2].uid, 0);
    assert.equal(parseProcNetTcp(TCP6)[0].localAddress, '::1');
    assert.equal(parseProcNetTcp(TCP6)[0].uid, 1000);
  });

  it('rows of one local port are found without parsing the rest; a port seen only as a remote end is no match', () => {
    assert.deepEqual(rowsWithLocalPort(TCP, 40000), [parseProcNetTcp(TCP)[1]]);
    assert.deepEqual(rowsWithLocalPort(TCP, 10993), [parseProcNetTcp(TCP)[0], parseProcNetTcp(TCP)[2]]);
    assert.deepEqual(rowsWithLocalPort(TCP, 1), []);
    assert.deepEqual(rowsWithLocalPort(TCP6, 40001), parseProcNetTcp(TCP6));
    const last = TCP.trimEnd(); // no newline after the last row
    assert.equal(rowsWithLocalPort(last, 10993).length, 2);
  });

  it('fd links: only socket:[N] names a socket', () => {
    assert.equal(socketInode('socket:[222]'), 222);
    assert.equal(socketInode('/dev/null'), undefined);
    assert.equal(socketInode('pipe:[5]'), undefined);
    assert.equal(socketInode('anon_inode:[eventpoll]'), undefined);
  });
});

describe('coalesced reads', () => {
  it('calls made before a read starts share it; a call made while it runs gets a read that starts after the call', async () => {
    let started = 0;
    let finishRead: (() => void) | undefined;
    const read = coalesced(async () => {
      const run = ++started;
      await new Promise<void>((resolve) => (finishRead = resolve));
      return run;
    });
    const first = [read(), read(), read()];
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(started, 1);
    const second = [read(), read()];
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(started, 1, 'the second read waits for the first to end');
    finishRead?.();
    assert.deepEqual(await Promise.all(first), [1, 1, 1]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(started, 2);
    finishRead?.();
    assert.deepEqual(await Promise.all(second), [2, 2]);
  });
});

describe('socket owners (pid → socket inodes, cached across connections)', () => {
  // Users 1000 (pids 77, 90, 120) and 0 (pid 1); 120 is the newest process.
  const world = () => ({
    dirs: { '/proc': ['1', '77', '90', '120', 'self', 'net'], '/proc/1/fd': ['0'], '/proc/77/fd': ['0', '3'], '/proc/90/fd': ['4'], '/proc/120/fd': ['1'] } as Record<string, string[]>,
    links: { '/proc/1/fd/0': 'socket:[999]', '/proc/77/fd/0': '/dev/pts/0', '/proc/77/fd/3': 'socket:[222]', '/proc/90/fd/4': 'socket:[555]', '/proc/120/fd/1': 'pipe:[7]' } as Record<string, string>,
    uids: { '/proc/1': 0, '/proc/77': 1000, '/proc/90': 1000, '/proc/120': 1000 } as Record<string, number>,
  });

  it('reads only the socket user\'s processes, newest pid first, and stops at the owner', async () => {
    const { dirs, links, uids } = world();
    const fs = fakeProc({}, dirs, links, uids);
    const owners = new SocketOwners(fs, { tablesPerTurn: 1 });
    assert.equal(await owners.owner(555, 1000), 90);
    assert.deepEqual(fs.readdirs, ['/proc', '/proc/120/fd', '/proc/90/fd'], 'pid 1 (root) and pid 77 (older than the owner) are not read');
  });

  it('a socket no process of that user holds is "no owner" after one complete scan', async () => {
    const { dirs, links, uids } = world();
    const fs = fakeProc({}, dirs, links, uids);
    const owners = new SocketOwners(fs);
    assert.equal(await owners.owner(999, 1000), undefined, 'inode 999 belongs to root\'s process, which is not read');
    assert.equal(fs.readdirs.includes('/proc/1/fd'), false);
    assert.equal(owners.counts.scans, 1);
  });

  it('a new connection from a process seen before reads that one fd table, without listing /proc', async () => {
    const { dirs, links, uids } = world();
    const fs = fakeProc({}, dirs, links, uids);
    const owners = new SocketOwners(fs);
    assert.equal(await owners.owner(222, 1000), 77);
    const listings = owners.counts.procListings;
    dirs['/proc/77/fd'].push('4');
    links['/proc/77/fd/4'] = 'socket:[223]';
    fs.readdirs.length = 0;
    assert.equal(await owners.owner(223, 1000), 77);
    assert.deepEqual(fs.readdirs, ['/proc/77/fd']);
    assert.equal(owners.counts.procListings, listings);
  });

  it('a socket seen in an earlier read is answered from the cache with no read at all', async () => {
    const { dirs, links, uids } = world();
    const fs = fakeProc({}, dirs, links, uids);
    const owners = new SocketOwners(fs);
    await owners.owner(222, 1000); // the scan also read pid 90's table on the way (newest first)
    fs.readdirs.length = 0;
    assert.equal(await owners.owner(555, 1000), 90);
    assert.deepEqual(fs.readdirs, []);
  });

  it('20 concurrent lookups share one scan: one /proc listing, each fd table read once', async () => {
    const { dirs, links, uids } = world();
    for (let i = 0; i < 20; i++) {
      dirs['/proc/77/fd'].push(String(10 + i));
      links[`/proc/77/fd/${10 + i}`] = `socket:[${3000 + i}]`;
    }
    const fs = fakeProc({}, dirs, links, uids);
    const owners = new SocketOwners(fs);
    const pids = await Promise.all(Array.from({ length: 20 }, (_, i) => owners.owner(3000 + i, 1000)));
    assert.deepEqual(new Set(pids), new Set([77]));
    assert.equal(owners.counts.scans, 1);
    assert.equal(owners.counts.procListings, 1);
    assert.equal(fs.readdirs.filter((path) => path === '/proc/77/fd').length, 1);
    assert.equal(fs.uidReads.filter((path) => path === '/proc/77').length, 1);
  });

  it('a lookup that arrives during a scan, for a socket opened after its table was read, is answered by the next scan', async () => {
    const { dirs, links, uids } = world();
    const fs = fakeProc({}, dirs, links, uids);
    const owners = new SocketOwners(fs, { tablesPerTurn: 1 });
    const first = owners.owner(222, 1000);
    await new Promise((resolve) => setImmediate(resolve)); // the scan is under way
    dirs['/proc/120/fd'].push('9');
    links['/proc/120/fd/9'] = 'socket:[777]';
    const late = owners.owner(777, 1000);
    assert.deepEqual(await Promise.all([first, late]), [77, 120]);
    assert.equal(owners.counts.scans, 2);
  });

  it('a process that is gone is forgotten: its pid is neither answered nor read again', async () => {
    const { dirs, links, uids } = world();
    const fs = fakeProc({}, dirs, links, uids);
    const owners = new SocketOwners(fs);
    assert.equal(await owners.owner(222, 1000), 77);
    delete dirs['/proc/77/fd'];
    dirs['/proc'] = dirs['/proc'].filter((pid) => pid !== '77');
    owners.forget(77);
    assert.equal(await owners.owner(222, 1000), undefined);
    fs.readdirs.length = 0;
    assert.equal(await owners.owner(4242, 1000), undefined);
    assert.equal(fs.readdirs.includes('/proc/77/fd'), false);
  });
});

describe('Linux client lookup', () => {
  const files = { '/proc/net/tcp': TCP, '/proc/net/tcp6': TCP6, '/proc/77/comm': 'python3\n', '/proc/88/comm': 'node\n' };
  const dirs = { '/proc': ['1', '77', '88', 'self', 'net'], '/proc/1/fd': ['0'], '/proc/77/fd': ['0', '3'], '/proc/88/fd': ['5', '6'] };
  const links = {
    '/proc/1/fd/0': '/dev/null',
    '/proc/77/fd/0': '/dev/pts/0',
    '/proc/77/fd/3': 'socket:[222]',
    '/proc/88/fd/5': 'socket:[333]',
    '/proc/88/fd/6': 'socket:[444]',
    '/proc/77/exe': '/usr/bin/python3.11',
    '/proc/88/exe': '/usr/bin/node',
  };
  const uids = { '/proc/1': 0, '/proc/77': 1000, '/proc/88': 1000 };

  it('takes the row whose local end is the client, not the proxy\'s mirror row', async () => {
    const lookup = new LinuxClientLookup(fakeProc(files, dirs, links, uids), { uid: 1000 });
    assert.deepEqual(await lookup.lookup(ends), { application: { pid: 77, exe: '/usr/bin/python3.11', name: 'python3' } });
  });

  it('finds IPv6 clients in tcp6, with Node\'s ::ffff: form normalised', async () => {
    const lookup = new LinuxClientLookup(fakeProc(files, dirs, links, uids), { uid: 1000 });
    assert.deepEqual(await lookup.lookup({ clientAddress: '::1', clientPort: 40001, proxyAddress: '::1', proxyPort: 10993 }), { application: { pid: 88, exe: '/usr/bin/node', name: 'node' } });
    assert.equal('application' in (await lookup.lookup({ ...ends, clientAddress: '::ffff:127.0.0.1', proxyAddress: '::ffff:127.0.0.1' })), true);
  });

  it('a process seen before is checked first: a second lookup does not list /proc', async () => {
    const fs = fakeProc(files, dirs, links, uids);
    const lookup = new LinuxClientLookup(fs, { uid: 1000 });
    await lookup.lookup(ends);
    const listings = fs.readdirs.filter((path) => path === '/proc').length;
    await lookup.lookup(ends);
    assert.equal(fs.readdirs.filter((path) => path === '/proc').length, listings);
  });

  it('another user\'s client is "unknown" at once, with no process read, unless inboxguard runs as root', async () => {
    const fs = fakeProc(files, dirs, links, uids);
    const lookup = new LinuxClientLookup(fs, { uid: 1001 });
    assert.match(((await lookup.lookup(ends)) as { unknown: string }).unknown, /client runs as uid 1000; inboxguard runs as uid 1001/);
    assert.deepEqual(fs.readdirs, []);
    assert.equal('application' in (await new LinuxClientLookup(fakeProc(files, dirs, links, uids), { uid: 0 }).lookup(ends)), true);
  });

  it('an owner cached from an earlier connection that has exited is forgotten and the socket looked for again', async () => {
    const f: Record<string, string> = { ...files };
    const d: Record<string, string[]> = { ...dirs, '/proc/88/fd': [...dirs['/proc/88/fd']] };
    const l: Record<string, string> = { ...links };
    const lookup = new LinuxClientLookup(fakeProc(f, d, l, uids), { uid: 1000 });
    assert.equal(((await lookup.lookup(ends)) as { application: { pid: number } }).application.pid, 77);
    // pid 77 exits; the socket (inode 222) lives on in pid 88, which inherited it.
    delete f['/proc/77/comm'];
    delete l['/proc/77/exe'];
    delete d['/proc/77/fd'];
    d['/proc'] = ['1', '88'];
    d['/proc/88/fd'].push('7');
    l['/proc/88/fd/7'] = 'socket:[222]';
    assert.deepEqual(await lookup.lookup(ends), { application: { pid: 88, exe: '/usr/bin/node', name: 'node' } });
  });

  it('says why when there is no row or no owner', async () => {
    const lookup = new LinuxClientLookup(fakeProc(files, dirs, links, uids), { uid: 1000 });
    assert.match((await lookup.lookup({ ...ends, clientPort: 1 }) as { unknown: string }).unknown, /no local socket 127.0.0.1:1/);
    const noOwner = new LinuxClientLookup(fakeProc(files, { '/proc': ['1'], '/proc/1/fd': [] }, {}, uids), { uid: 1000 });
    assert.match((await noOwner.lookup(ends) as { unknown: string }).unknown, /no process of uid 1000 holds socket inode 222/);
  });
});

describe('macOS and Windows output parsing', () => {
  it('lsof -F pcn', () => {
    const rows = parseLsofFields('p501\ncThunderbird\nn127.0.0.1:52000->127.0.0.1:10993\np9\ncinboxguard\nn127.0.0.1:10993->127.0.0.1:52000\n');
    assert.deepEqual(rows[0], { pid: 501, command: 'Thunderbird', connection: '127.0.0.1:52000->127.0.0.1:10993' });
    assert.equal(rows.length, 2);
  });

  it('netstat -ano and tasklist', () => {
    const netstat = '\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n  TCP    127.0.0.1:10993        127.0.0.1:52000        ESTABLISHED     4000\r\n  TCP    127.0.0.1:52000        127.0.0.1:10993        ESTABLISHED     6120\r\n';
    assert.equal(pidFromNetstat(netstat, '127.0.0.1:52000'), 6120);
    assert.equal(pidFromNetstat(netstat, '127.0.0.1:1'), undefined);
    assert.equal(imageFromTasklist('"thunderbird.exe","6120","Console","1","312,000 K"\r\n'), 'thunderbird.exe');
  });
});
