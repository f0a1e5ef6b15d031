import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigText } from '../../../src/config/load.js';
import { listenerFromFlags } from '../../../src/cli/listener-flags.js';
import { configErrorOf } from './config-error.js';

const valid = `listeners:
  - name: work
    listen: 127.0.0.1:10993
    protocol: imap
    tls: implicit
    upstream: imap.example.com:993
    upstreamTls: implicit
scan:
  onError: block
`;


describe('config file', () => {
  it('accepts the documented shape and fills defaults', () => {
    const config = parseConfigText(valid, 'cfg.yaml');
    assert.equal(config.listeners[0].upstream, 'imap.example.com:993');
    assert.equal(config.listeners[0].insecureSkipVerify, false);
    assert.equal(config.scan.onError, 'block');
    assert.deepEqual(config.scan.engines, ['builtin']);
    assert.deepEqual(config.protocols, { imap: true, imaps: true, pop3: true, pop3s: true });
  });

  it('treats an empty file as all defaults', () => {
    assert.deepEqual(parseConfigText('', 'cfg.yaml').listeners, []);
  });

  it('names file, line and field for a bad value', () => {
    assert.equal(configErrorOf(valid.replace('10993', '99999')), 'cfg.yaml:3: listeners.0.listen: port 99999 in "127.0.0.1:99999" is out of range 1-65535');
  });

  it('names the line of an unknown setting', () => {
    assert.match(configErrorOf(valid.replace('    upstreamTls: implicit', '    upstreamTls: implicit\n    upstreamTsl: none')), /^cfg\.yaml:8: listeners\.0\.upstreamTsl: unknown setting "upstreamTsl"$/);
  });

  it('names the line of a YAML syntax error', () => {
    assert.match(configErrorOf('listeners:\n  - name: [oops\n'), /^cfg\.yaml:\d+: invalid YAML: /);
  });

  it('rejects a bad enum value with its line', () => {
    assert.match(configErrorOf(valid.replace('protocol: imap', 'protocol: smtp')), /^cfg\.yaml:4: listeners\.0\.protocol: /);
  });

  it('refuses a STARTTLS client side over a plaintext upstream (a downgrade)', () => {
    assert.match(configErrorOf(valid.replace('tls: implicit', 'tls: starttls').replace('upstreamTls: implicit', 'upstreamTls: none')), /downgrade/);
  });

  it('requires allowRemote for a non-loopback listen address', () => {
    assert.match(configErrorOf(valid.replace('127.0.0.1:10993', '0.0.0.0:10993')), /^cfg\.yaml:3: listeners\.0\.listen: .*allowRemote/);
    assert.doesNotThrow(() => parseConfigText(valid.replace('127.0.0.1:10993', '0.0.0.0:10993').replace('    protocol: imap', '    allowRemote: true\n    protocol: imap'), 'c'));
  });

  it('rejects duplicate listener names', () => {
    const twice = `${valid.split('scan:')[0]}  - name: work\n    listen: 127.0.0.1:10994\n    upstream: b.example:993\n`;
    assert.match(configErrorOf(twice), /used twice/);
  });
});

describe('listener flags', () => {
  it('derive protocol and TLS from well-known upstream ports', () => {
    const cases: [string, string, string, string, string][] = [
      ['imap.example.com:993', 'imap', 'implicit', 'implicit', '127.0.0.1:10993'],
      ['imap.example.com:143', 'imap', 'starttls', 'starttls', '127.0.0.1:10143'],
      ['pop.example.com:995', 'pop3', 'implicit', 'implicit', '127.0.0.1:10995'],
      ['pop.example.com:110', 'pop3', 'starttls', 'starttls', '127.0.0.1:10110'],
      ['mail.example.com:7993', 'auto', 'implicit', 'implicit', '127.0.0.1:17993'],
    ];
    for (const [upstream, protocol, tls, upstreamTls, listen] of cases) {
      const listener = listenerFromFlags({ upstream });
      assert.deepEqual([listener.protocol, listener.tls, listener.upstreamTls, listener.listen], [protocol, tls, upstreamTls, listen], upstream);
    }
  });

  it('explicit flags win, and errors name the flag', () => {
    const listener = listenerFromFlags({ upstream: 'h:993', listen: '[::1]:2000', tls: 'none', protocol: 'auto' });
    assert.deepEqual([listener.listen, listener.tls, listener.protocol], ['[::1]:2000', 'none', 'auto']);
    assert.throws(() => listenerFromFlags({ upstream: 'h' }), /--upstream: .*HOST:PORT/);
    assert.throws(() => listenerFromFlags({ upstream: 'h:993', listen: '10.1.2.3:1' }), /--listen: .*allowRemote/);
  });
});
