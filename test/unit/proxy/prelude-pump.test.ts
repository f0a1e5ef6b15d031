// The prelude pump between two in-memory sockets (no network): the prelude sees what each leg reads,
// its outputs reach the legs, ready pauses both and hands over the leftovers, and a prelude that
// throws is a fault of the session.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ImapPrelude } from '../../../src/imap/prelude.js';
import type { Prelude } from '../../../src/protocol/prelude.js';
import { pumpPrelude, type Ready } from '../../../src/proxy/prelude-pump.js';
import { FaultInjectingSocket } from './fault-injecting-socket.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function start(prelude: Prelude) {
  const client = new FaultInjectingSocket();
  const upstream = new FaultInjectingSocket();
  const seen: { ready?: Ready; closedAfterWrite?: string; faults: string[] } = { faults: [] };
  let closed = false;
  pumpPrelude({
    prelude,
    client: client.socket,
    upstream: upstream.socket,
    certificates: undefined as never,
    target: { host: 'mail.example.org', port: 143 } as never,
    log: pino({ level: 'silent' }),
    closed: () => closed,
    upgraded: () => assert.fail('no STARTTLS here'),
    ready: (ready) => (seen.ready = ready),
    close: () => (closed = true),
    closeAfterWrite: (reason) => (seen.closedAfterWrite = reason),
    upstreamFailed: () => assert.fail('no upstream failure here'),
    fault: (stage) => {
      seen.faults.push(stage);
      closed = true;
    },
  });
  return { client, upstream, seen };
}

describe('prelude pump', () => {
  it('hands the greeting to the relay once the prelude is ready, with both legs paused', async () => {
    const { client, upstream, seen } = start(new ImapPrelude({ clientTls: 'implicit', upstreamTls: 'implicit' }));
    upstream.receive('* OK [CAPABILITY IMAP4rev1] ready\r\n');
    await turn();
    assert.equal(seen.ready?.protocol, 'imap');
    assert.equal(seen.ready?.serverBytes.toString('latin1'), '* OK [CAPABILITY IMAP4rev1] ready\r\n');
    assert.ok(client.isPaused() && upstream.isPaused());
    assert.equal(client.listenerCount('data'), 0, 'the pump no longer reads the client');
    assert.equal(upstream.listenerCount('data'), 0, 'nor the server');
  });

  it('writes what the prelude answers and closes after it when the prelude gives up', async () => {
    const { client, upstream, seen } = start(new ImapPrelude({ clientTls: 'implicit', upstreamTls: 'implicit' }));
    upstream.receive('* BYE go away\r\n');
    await turn();
    assert.equal(seen.ready, undefined);
    assert.ok(seen.closedAfterWrite);
    assert.ok(client.text.length > 0, 'the client is told');
  });

  it('a prelude that throws is a fault of the session, and nothing more is fed to it', async () => {
    let calls = 0;
    const prelude: Prelude = {
      fromServer: () => {
        calls += 1;
        throw new Error('prelude bug');
      },
      fromClient: () => undefined,
      tlsReady: () => undefined,
      drain: () => [],
    };
    const { upstream, seen } = start(prelude);
    upstream.receive('* OK hi\r\n');
    await turn();
    upstream.receive('* OK again\r\n');
    await turn();
    assert.deepEqual(seen.faults, ['negotiation (server data)']);
    assert.equal(calls, 1);
  });
});
