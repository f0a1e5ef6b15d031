import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpExclusion } from '../../../src/config/ip-exclusion-entry.js';
import { parseConfigText } from '../../../src/config/load.js';
import { defaultsForUpstreamPort, protocolForPort } from '../../../src/config/port-defaults.js';
import { assumedProtocol } from '../../../src/proxy/prelude-factory.js';
import { configErrorOf } from './config-error.js';


describe('exclusions, protocol switches and TLS ports in the config file', () => {
  it('defaults: protection on, every protocol on, nothing excluded, TLS ports 585/993 and 995', () => {
    const config = parseConfigText('{}', 'cfg.yaml');
    assert.equal(config.enabled, true);
    assert.deepEqual(config.protocols, { imap: true, imaps: true, pop3: true, pop3s: true });
    assert.deepEqual(config.exclusions, { applications: [], ips: [] });
    assert.deepEqual(config.tlsPorts, { imaps: [585, 993], pop3s: [995] });
  });

  it('exclusions.ips takes addresses, CIDR blocks, ranges and host names, IPv4 and IPv6', () => {
    const config = parseConfigText('exclusions:\n  ips: [127.0.0.2, 10.0.0.0/8, "::1", "2001:db8::/32", 127.0.0.5-127.0.0.9, "fe80::1-fe80::9", localhost, mail.example.com]\n', 'cfg.yaml');
    assert.equal(config.exclusions.ips.length, 8);
  });

  it('bad IP entries are reported with the file line and a clear reason', () => {
    assert.equal(configErrorOf('exclusions:\n  ips:\n    - 10.0.0.0/33\n'), 'cfg.yaml:3: exclusions.ips.0: "10.0.0.0/33": the prefix length must be 0-32 for IPv4');
    assert.match(configErrorOf('exclusions:\n  ips: ["::/129"]\n'), /prefix length must be 0-128 for IPv6/);
    assert.match(configErrorOf('exclusions:\n  ips: [10.0.0.9-10.0.0.1]\n'), /range "10.0.0.9-10.0.0.1" starts after it ends/);
    assert.match(configErrorOf('exclusions:\n  ips: ["10.0.0.1-::1"]\n'), /must end with an IPv4 address/);
    assert.match(configErrorOf('exclusions:\n  ips: [10.0.0.300]\n'), /is not an IP address, CIDR block \(10.0.0.0\/8\), range \(10.0.0.1-10.0.0.9\) or host name/);
    assert.match(configErrorOf('exclusions:\n  ips: ["bad_name!"]\n'), /is not an IP address/);
    assert.match(configErrorOf('exclusions:\n  ips: [""]\n'), /empty entry/);
  });

  it('host names are told apart from addresses', () => {
    assert.deepEqual(parseIpExclusion('LocalHost'), { kind: 'host', name: 'localhost' });
    assert.equal((parseIpExclusion('127.0.0.1') as { kind: string }).kind, 'address');
    assert.equal((parseIpExclusion('127.0.0.1-127.0.0.3') as { kind: string }).kind, 'range');
  });

  it('tlsPorts and applications are checked', () => {
    assert.match(configErrorOf('tlsPorts:\n  imaps: [70000]\n'), /cfg.yaml:2: tlsPorts.imaps.0: ports are 1-65535/);
    assert.match(configErrorOf('tlsPorts:\n  pop3s: [-5]\n'), /tlsPorts.pop3s.0: ports are 1-65535/);
    assert.match(configErrorOf('exclusions:\n  applications: ["  "]\n'), /exclusions.applications.0: an application is/);
    assert.match(configErrorOf('enabled: maybe\n'), /enabled/);
  });

  it('protocol inference from ports follows tlsPorts', () => {
    const tlsPorts = { imaps: [993, 1993], pop3s: [995, 1995] };
    assert.equal(protocolForPort(1993, tlsPorts), 'imap');
    assert.equal(protocolForPort(1995, tlsPorts), 'pop3');
    assert.equal(protocolForPort(1995), undefined);
    assert.equal(protocolForPort(110), 'pop3');
    assert.equal(assumedProtocol('auto', 1995, tlsPorts), 'pop3');
    assert.equal(assumedProtocol('auto', 1995), 'imap');
    assert.deepEqual(defaultsForUpstreamPort(1995, tlsPorts), { protocol: 'pop3', upstreamTls: 'implicit', tls: 'implicit', listenPort: 11995 });
    assert.deepEqual(defaultsForUpstreamPort(585), { protocol: 'imap', upstreamTls: 'implicit', tls: 'implicit', listenPort: 10585 });
    assert.deepEqual(defaultsForUpstreamPort(143), { protocol: 'imap', upstreamTls: 'starttls', tls: 'starttls', listenPort: 10143 });
    assert.equal(defaultsForUpstreamPort(4242).protocol, 'auto');
  });
});
