import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinuxClientLookup, type ProcFs } from '../../../src/proxy/client-process/linux.js';
import { decodeProcAddress, parseProcNetTcp } from '../../../src/proxy/client-process/proc-net-tcp.js';
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

function fakeProc(files: Record<string, string>, dirs: Record<string, string[]>, links: Record<string, string>): ProcFs & { readdirs: string[] } {
  const readdirs: string[] = [];
  return {
    readdirs,
    readFile: async (path) => {
      if (path in files) return files[path];
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    },
    readdir: async (path) => {
      readdirs.push(path);
      if (path in dirs) return dirs[path];
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    },
    readlink: async (path) => {
      if (path in links) return links[path];
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    },
  };
}

const ends = { clientAddress: '127.0.0.1', clientPort: 40000, proxyAddress: '127.0.0.1', proxyPort: 10993 };

describe('/proc/net/tcp parsing', () => {
  it('decodes IPv4, IPv6 and IPv4-mapped addresses', () => {
    assert.equal(decodeProcAddress('0100007F'), '127.0.0.1');
    assert.equal(decodeProcAddress('0200007F'), '127.0.0.2');
    assert.equal(decodeProcAddress('00000000000000000000000001000000'), '::1');
    assert.equal(decodeProcAddress('0000000000000000FFFF00000100007F'), '127.0.0.1');
    assert.equal(decodeProcAddress('B80D0120000000000000000001000000'), '2001:db8::1');
  });

  it('reads local, remote and inode of every row', () => {
    assert.deepEqual(parseProcNetTcp(TCP)[1], { localAddress: '127.0.0.1', localPort: 40000, remoteAddress: '127.0.0.1', remotePort: 10993, inode: 222 });
    assert.equal(parseProcNetTcp(TCP6)[0].localAddress, '::1');
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

  it('takes the row whose local end is the client, not the proxy\'s mirror row', async () => {
    const lookup = new LinuxClientLookup(fakeProc(files, dirs, links));
    assert.deepEqual(await lookup.lookup(ends), { application: { pid: 77, exe: '/usr/bin/python3.11', name: 'python3' } });
  });

  it('finds IPv6 clients in tcp6, with Node\'s ::ffff: form normalised', async () => {
    const lookup = new LinuxClientLookup(fakeProc(files, dirs, links));
    assert.deepEqual(await lookup.lookup({ clientAddress: '::1', clientPort: 40001, proxyAddress: '::1', proxyPort: 10993 }), { application: { pid: 88, exe: '/usr/bin/node', name: 'node' } });
    assert.equal('application' in (await lookup.lookup({ ...ends, clientAddress: '::ffff:127.0.0.1', proxyAddress: '::ffff:127.0.0.1' })), true);
  });

  it('a process seen before is checked first: a second lookup does not scan all of /proc', async () => {
    const fs = fakeProc(files, dirs, links);
    const lookup = new LinuxClientLookup(fs);
    await lookup.lookup(ends);
    const scans = fs.readdirs.filter((path) => path === '/proc').length;
    await lookup.lookup(ends);
    assert.equal(fs.readdirs.filter((path) => path === '/proc').length, scans);
  });

  it('says why when there is no row or no owner', async () => {
    const lookup = new LinuxClientLookup(fakeProc(files, dirs, links));
    assert.match((await lookup.lookup({ ...ends, clientPort: 1 }) as { unknown: string }).unknown, /no local socket 127.0.0.1:1/);
    const noOwner = new LinuxClientLookup(fakeProc(files, { '/proc': ['1'], '/proc/1/fd': [] }, {}));
    assert.match((await noOwner.lookup(ends) as { unknown: string }).unknown, /no process owns socket inode 222/);
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
