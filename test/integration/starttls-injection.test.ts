import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { RawClient } from '../helpers/raw-client.js';
import { requireDovecot } from '../helpers/require-servers.js';

const skip = requireDovecot();

describe('commands pipelined after STARTTLS/STLS are never executed', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;

  before(async () => {
    dovecot = await startDovecot();
    proxy = await startTestProxy([
      { name: 'imap', upstream: `localhost:${dovecot.ports.imap}`, protocol: 'imap', tls: 'starttls', upstreamTls: 'starttls', upstreamCa: dovecot.caPath },
      { name: 'pop3', upstream: `localhost:${dovecot.ports.pop3}`, protocol: 'pop3', tls: 'starttls', upstreamTls: 'starttls', upstreamCa: dovecot.caPath },
    ]);
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  it('IMAP: a LOGIN injected behind STARTTLS does not log the session in', async () => {
    const client = await RawClient.connect(proxy.port('imap'));
    await client.waitFor(/^\* OK .*STARTTLS.*\r\n/);
    client.write('a STARTTLS\r\nb LOGIN alice secret\r\n');
    await client.waitFor(/a OK .*\r\n/);
    const beforeTls = client.text().length;
    await client.startTls(proxy.caPem);
    client.write('c SELECT INBOX\r\n');
    const afterTls = await client.waitFor(/(^|\r\n)c (OK|NO|BAD) [^\r]*\r\n$/, { from: beforeTls });
    assert.doesNotMatch(afterTls, /\bb (OK|NO|BAD)\b/, 'the injected command got no answer');
    assert.match(afterTls, /c BAD /, 'still not authenticated');
    client.write('d LOGIN alice secret\r\ne SELECT INBOX\r\n');
    await client.waitFor(/e OK \[READ-WRITE\]/);
    client.close();
  });

  it('POP3: a USER injected behind STLS is discarded', async () => {
    const client = await RawClient.connect(proxy.port('pop3'));
    await client.waitFor(/^\+OK .*\r\n/);
    client.write('STLS\r\nUSER alice\r\n');
    await client.waitFor(/\+OK Begin TLS negotiation\r\n/);
    const beforeTls = client.text().length;
    await client.startTls(proxy.caPem);
    client.write('PASS secret\r\n');
    const reply = await client.waitFor(/^[-+][A-Z]+[^\r]*\r\n$/, { from: beforeTls });
    assert.match(reply, /^-ERR /, 'PASS without a preceding USER is refused, so the injected USER never ran');
    client.write('USER alice\r\nPASS secret\r\nSTAT\r\n');
    await client.waitFor(/\+OK \d+ \d+\r\n$/);
    client.close();
  });
});
