import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImapPrelude } from '../../../src/imap/prelude.js';
import type { PreludeOptions } from '../../../src/protocol/prelude.js';
import { createPrelude } from '../../../src/proxy/prelude-factory.js';
import { driveAtEveryChunking } from './drive.js';

const GREETING = '* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot ready.\r\n';
const imap = (options: PreludeOptions) => () => new ImapPrelude(options);

describe('IMAP prelude', () => {
  it('implicit TLS on both legs: forwards the greeting without STARTTLS and any early client bytes', () => {
    const out = driveAtEveryChunking(imap({ clientTls: 'implicit', upstreamTls: 'implicit' }), [
      { client: 'a1 CAPABILITY\r\n' },
      { server: `${GREETING}* 1 EXISTS\r\n` },
    ]);
    assert.deepEqual(out, [
      {
        ready: {
          protocol: 'imap',
          serverBytes: '* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] Dovecot ready.\r\n* 1 EXISTS\r\n',
          clientBytes: 'a1 CAPABILITY\r\n',
          greetingPending: true,
        },
      },
    ]);
  });

  it('forwards a greeting with nothing to change as the same bytes', () => {
    const greeting = '* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n';
    const out = driveAtEveryChunking(imap({ clientTls: 'none', upstreamTls: 'implicit' }), [{ server: greeting }]);
    assert.deepEqual(out, [{ ready: { protocol: 'imap', serverBytes: greeting, clientBytes: '', greetingPending: true } }]);
  });

  it('upgrades the upstream with STARTTLS, discards bytes after its OK, and drops the stale capability list', () => {
    const out = driveAtEveryChunking(imap({ clientTls: 'implicit', upstreamTls: 'starttls' }), [
      { server: GREETING },
      { server: '* CAPABILITY IMAP4rev1 STARTTLS\r\nig0 OK Begin TLS negotiation now.\r\n* OK injected\r\n' },
      { tlsReady: 'server' },
    ]);
    assert.deepEqual(out, [
      { toServer: 'ig0 STARTTLS\r\n' },
      { startTls: 'server' },
      { ready: { protocol: 'imap', serverBytes: '* OK Dovecot ready.\r\n', clientBytes: '', greetingPending: true } },
    ]);
  });

  it('refuses to go on when the upstream refuses STARTTLS (no downgrade)', () => {
    const out = driveAtEveryChunking(imap({ clientTls: 'implicit', upstreamTls: 'starttls' }), [{ server: GREETING }, { server: 'ig0 BAD no TLS here\r\n' }]);
    assert.deepEqual(out[1], { toClient: '* BYE [ALERT] inboxguard: upstream refused STARTTLS (ig0 BAD no TLS here)\r\n' });
    assert.ok('close' in out[2]);
  });

  it('answers a STARTTLS client itself and executes nothing pipelined after STARTTLS', () => {
    const out = driveAtEveryChunking(imap({ clientTls: 'starttls', upstreamTls: 'implicit' }), [
      { server: GREETING },
      { client: 'a CAPABILITY\r\nb LOGIN alice secret\r\nc NOOP\r\nd FETCH 1 BODY[]\r\ne STARTTLS\r\nf LOGIN alice secret\r\n' },
      { server: '* 2 EXISTS\r\n' },
      { tlsReady: 'client' },
    ]);
    assert.deepEqual(out, [
      {
        toClient: [
          '* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] inboxguard ready, STARTTLS required',
          '* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED',
          'a OK CAPABILITY completed',
          'b NO [PRIVACYREQUIRED] inboxguard: issue STARTTLS first',
          'c OK NOOP completed',
          'd BAD inboxguard: only CAPABILITY, NOOP, LOGOUT and STARTTLS are accepted before STARTTLS',
          'e OK Begin TLS negotiation now',
          '',
        ].join('\r\n'),
      },
      { startTls: 'client' },
      { ready: { protocol: 'imap', serverBytes: '* 2 EXISTS\r\n', clientBytes: '', greetingPending: false } },
    ]);
  });

  it('closes on a BYE greeting, a garbage greeting, and PREAUTH where STARTTLS is needed', () => {
    const bye = driveAtEveryChunking(imap({ clientTls: 'implicit', upstreamTls: 'implicit' }), [{ server: '* BYE too many connections\r\n' }]);
    assert.deepEqual(bye[0], { toClient: '* BYE too many connections\r\n' });
    assert.ok('close' in bye[1]);
    const garbage = driveAtEveryChunking(imap({ clientTls: 'implicit', upstreamTls: 'implicit' }), [{ server: 'HTTP/1.1 400 Bad Request\r\n' }]);
    assert.deepEqual(garbage[0], { toClient: '* BYE [ALERT] inboxguard: upstream did not greet like an IMAP server\r\n' });
    const preauth = driveAtEveryChunking(imap({ clientTls: 'implicit', upstreamTls: 'starttls' }), [{ server: '* PREAUTH hi\r\n' }]);
    assert.match((preauth[0] as { toClient: string }).toClient, /STARTTLS is impossible/);
  });

  it('auto-detects IMAP and POP3 from the greeting', () => {
    const options: PreludeOptions = { clientTls: 'implicit', upstreamTls: 'implicit' };
    const asImap = driveAtEveryChunking(() => createPrelude('auto', options), [{ server: '* OK hi\r\n' }]);
    assert.deepEqual(asImap, [{ ready: { protocol: 'imap', serverBytes: '* OK hi\r\n', clientBytes: '', greetingPending: true } }]);
    const asPop = driveAtEveryChunking(() => createPrelude('auto', options), [{ server: '+OK POP3 ready <1.2@x>\r\n' }]);
    assert.deepEqual(asPop, [{ ready: { protocol: 'pop3', serverBytes: '+OK POP3 ready <1.2@x>\r\n', clientBytes: '', greetingPending: true } }]);
  });
});
