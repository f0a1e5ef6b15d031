import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pop3Prelude } from '../../../src/pop3/prelude.js';
import type { PreludeOptions } from '../../../src/protocol/prelude.js';
import { driveAtEveryChunking } from './drive.js';

const GREETING = '+OK Dovecot ready. <1a2b.3c@host>\r\n';
const pop3 = (options: PreludeOptions) => () => new Pop3Prelude(options);

describe('POP3 prelude', () => {
  it('forwards the greeting (with its APOP timestamp) unchanged', () => {
    const out = driveAtEveryChunking(pop3({ clientTls: 'implicit', upstreamTls: 'implicit' }), [{ client: 'CAPA\r\n' }, { server: GREETING }]);
    assert.deepEqual(out, [{ ready: { protocol: 'pop3', serverBytes: GREETING, clientBytes: 'CAPA\r\n', greetingPending: true } }]);
  });

  it('upgrades the upstream with STLS and discards what follows its +OK', () => {
    const out = driveAtEveryChunking(pop3({ clientTls: 'none', upstreamTls: 'starttls' }), [
      { server: GREETING },
      { server: '+OK Begin TLS negotiation\r\n+OK injected\r\n' },
      { tlsReady: 'server' },
    ]);
    assert.deepEqual(out, [
      { toServer: 'STLS\r\n' },
      { startTls: 'server' },
      { ready: { protocol: 'pop3', serverBytes: GREETING, clientBytes: '', greetingPending: true } },
    ]);
  });

  it('refuses to continue when the upstream refuses STLS', () => {
    const out = driveAtEveryChunking(pop3({ clientTls: 'implicit', upstreamTls: 'starttls' }), [{ server: GREETING }, { server: '-ERR no\r\n' }]);
    assert.deepEqual(out[1], { toClient: '-ERR inboxguard: upstream refused STLS (-ERR no)\r\n' });
    assert.ok('close' in out[2]);
  });

  it('answers an STLS client itself; credentials before STLS are refused and nothing pipelined after STLS runs', () => {
    const out = driveAtEveryChunking(pop3({ clientTls: 'starttls', upstreamTls: 'implicit' }), [
      { server: GREETING },
      { client: 'CAPA\r\nUSER alice\r\nSTAT\r\nSTLS\r\nPASS secret\r\nRETR 1\r\n' },
      { tlsReady: 'client' },
    ]);
    assert.deepEqual(out, [
      {
        toClient: [
          GREETING.trimEnd(),
          '+OK Capability list follows',
          'STLS',
          '.',
          '-ERR [AUTH] inboxguard: issue STLS first, this listener requires TLS',
          '-ERR inboxguard: only CAPA, STLS and QUIT are accepted before STLS',
          '+OK Begin TLS negotiation',
          '',
        ].join('\r\n'),
      },
      { startTls: 'client' },
      { ready: { protocol: 'pop3', serverBytes: '', clientBytes: '', greetingPending: false } },
    ]);
  });

  it('forwards an -ERR greeting and closes; a garbage greeting gets a clear -ERR', () => {
    const refused = driveAtEveryChunking(pop3({ clientTls: 'implicit', upstreamTls: 'implicit' }), [{ server: '-ERR busy\r\n' }]);
    assert.deepEqual(refused[0], { toClient: '-ERR busy\r\n' });
    const garbage = driveAtEveryChunking(pop3({ clientTls: 'implicit', upstreamTls: 'implicit' }), [{ server: '220 smtp.example ESMTP\r\n' }]);
    assert.deepEqual(garbage[0], { toClient: '-ERR inboxguard: upstream did not greet like a POP3 server\r\n' });
    assert.ok('close' in garbage[1]);
  });
});
