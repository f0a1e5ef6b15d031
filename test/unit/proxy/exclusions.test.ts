import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { LiveConfig } from '../../../src/config/live-config.js';
import { matchApplication } from '../../../src/proxy/application-match.js';
import { ExcludedIps, LiveExcludedIps } from '../../../src/proxy/excluded-ips.js';
import { decideInspection, transportKind } from '../../../src/proxy/inspection.js';

const noDns = async (): Promise<string[]> => {
  throw Object.assign(new Error('no DNS in unit tests'), { code: 'ENOTFOUND' });
};

describe('excluded IPs', () => {
  it('addresses, CIDR blocks and ranges, IPv4 and IPv6, name the entry that matched', async () => {
    const ips = new ExcludedIps(['127.0.0.0/30', '10.1.1.5-10.1.1.9', '::1', '2001:db8::/32'], noDns);
    assert.equal(await ips.match('127.0.0.2'), 'ip 127.0.0.2 matched 127.0.0.0/30');
    assert.equal(await ips.match('::ffff:127.0.0.3'), 'ip 127.0.0.3 matched 127.0.0.0/30');
    assert.equal(await ips.match('127.0.0.4'), undefined);
    assert.equal(await ips.match('10.1.1.7'), 'ip 10.1.1.7 matched 10.1.1.5-10.1.1.9');
    assert.equal(await ips.match('10.1.1.10'), undefined);
    assert.equal(await ips.match('::1'), 'ip ::1 matched ::1');
    assert.equal(await ips.match('2001:db8:5::1'), 'ip 2001:db8:5::1 matched 2001:db8::/32');
    assert.equal(await ips.match('not an address'), undefined);
  });

  it('host names are resolved at load and again on refresh', async () => {
    let answer = ['192.0.2.1'];
    const resolved: string[] = [];
    const ips = new ExcludedIps(['mail.example.com'], async (name) => {
      resolved.push(name);
      return answer;
    });
    assert.equal(await ips.match('192.0.2.1'), 'ip 192.0.2.1 matched mail.example.com');
    answer = ['192.0.2.2'];
    await ips.refresh();
    assert.equal(await ips.match('192.0.2.1'), undefined);
    assert.equal(await ips.match('192.0.2.2'), 'ip 192.0.2.2 matched mail.example.com');
    assert.deepEqual(resolved, ['mail.example.com', 'mail.example.com']);
  });

  it('a name that does not resolve matches nothing and does not break the others', async () => {
    const ips = new ExcludedIps(['nowhere.invalid', '127.0.0.2'], noDns);
    assert.equal(await ips.match('127.0.0.2'), 'ip 127.0.0.2 matched 127.0.0.2');
    assert.equal(await ips.match('127.0.0.3'), undefined);
  });

  it('follows the live configuration', async () => {
    const live = new LiveConfig(configSchema.parse({}));
    const ips = new LiveExcludedIps(live, noDns);
    assert.equal(await ips.current.match('127.0.0.2'), undefined);
    live.replace(configSchema.parse({ exclusions: { ips: ['127.0.0.2'] } }));
    assert.equal(await ips.current.match('127.0.0.2'), 'ip 127.0.0.2 matched 127.0.0.2');
    ips.stop();
  });
});

describe('excluded applications', () => {
  const python = { pid: 7, exe: '/usr/bin/python3.11', name: 'python3' };
  it('by full path, executable base name, process name, or IMAP ID name', () => {
    assert.equal(matchApplication(['/usr/bin/python3.11'], { process: python }, 'linux'), '/usr/bin/python3.11');
    assert.equal(matchApplication(['python3.11'], { process: python }, 'linux'), 'python3.11');
    assert.equal(matchApplication(['python3'], { process: python }, 'linux'), 'python3');
    assert.equal(matchApplication(['Python3'], { process: python }, 'linux'), undefined, 'case matters on Linux');
    assert.equal(matchApplication(['/usr/bin/python3'], { process: python }, 'linux'), undefined, 'a path must be the full path');
    assert.equal(matchApplication(['thunderbird'], { imapIdName: 'Thunderbird' }, 'linux'), 'thunderbird');
    assert.equal(matchApplication(['thunderbird'], {}, 'linux'), undefined);
  });

  it('case-insensitive on macOS and Windows; .exe optional on Windows', () => {
    assert.equal(matchApplication(['thunderbird'], { process: { pid: 1, name: 'Thunderbird' } }, 'darwin'), 'thunderbird');
    assert.equal(matchApplication(['thunderbird'], { process: { pid: 1, name: 'thunderbird.exe' } }, 'win32'), 'thunderbird');
    assert.equal(matchApplication(['C:\\Program Files\\Mozilla Thunderbird\\THUNDERBIRD.EXE'], { process: { pid: 1, exe: 'C:\\Program Files\\Mozilla Thunderbird\\thunderbird.exe', name: 'thunderbird.exe' } }, 'win32') !== undefined, true);
  });
});

describe('the inspection decision', () => {
  const base = configSchema.parse({});
  const facts = { kind: 'imaps' as const, application: {} };
  it('scanned by default', () => {
    assert.deepEqual(decideInspection(base, facts), { inspect: true, reason: 'scanned' });
  });
  it('protection off, then protocol off, then IP, then application', () => {
    const all = configSchema.parse({ enabled: false, protocols: { imaps: false }, exclusions: { applications: ['python3'] } });
    const withIp = { ...facts, ipExclusion: 'ip 127.0.0.2 matched 127.0.0.2', application: { process: { pid: 1, name: 'python3' } } };
    assert.equal(decideInspection(all, withIp).reason, 'protection disabled');
    assert.equal(decideInspection({ ...all, enabled: true }, withIp).reason, 'protocol imaps switched off');
    assert.equal(decideInspection({ ...all, enabled: true, protocols: base.protocols }, withIp).reason, 'excluded: ip 127.0.0.2 matched 127.0.0.2');
    assert.equal(decideInspection({ ...all, enabled: true, protocols: base.protocols }, { ...withIp, ipExclusion: undefined }).reason, 'excluded: application python3');
    assert.equal(decideInspection(configSchema.parse({ exclusions: { applications: ['Thunderbird'] } }), { ...facts, application: { imapIdName: 'Thunderbird' } }).reason, 'excluded: application Thunderbird (IMAP ID)');
  });
  it('TLS-ness comes from the client side of the listener', () => {
    assert.equal(transportKind('imap', 'implicit'), 'imaps');
    assert.equal(transportKind('imap', 'starttls'), 'imaps');
    assert.equal(transportKind('imap', 'none'), 'imap');
    assert.equal(transportKind('pop3', 'implicit'), 'pop3s');
    assert.equal(transportKind('pop3', 'none'), 'pop3');
  });
});
