// Self-test of the integration harness: a throwaway Dovecot, seeded mail, and every real client
// helper, all directly against Dovecot (no proxy). If this fails, fix the harness first.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { startDovecot, type CertKind, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { freePorts } from '../../scripts/test-servers/free-ports.js';
import { readGreeting } from '../../scripts/test-servers/greeting.js';
import { curlFetch, imapflowFetchAll, pythonImap, pythonPop, sha256 } from '../helpers/clients.js';
import { bigMessage, dotLines, mixedMailbox } from '../helpers/messages.js';
import { requireAll, requireCommand, requireDovecot } from '../helpers/require-servers.js';

const skip = requireAll(requireDovecot(), requireCommand('curl', 'curl'), requireCommand('python3', 'python3'));

const USER = 'alice';
const PASSWORD = 'secret';
const seeded = mixedMailbox(8);
const expected = seeded.map((m, i) => ({ uid: i + 1, sha256: sha256(m), size: m.length }));
const DOT_UID = seeded.findIndex((m) => m.equals(dotLines({ seed: 1004 }))) + 1;

describe('message generator', () => {
  test('is deterministic, CRLF only, lines within 998 bytes', () => {
    assert.deepEqual(mixedMailbox(8), seeded);
    for (const m of seeded) {
      const text = m.toString('latin1');
      assert.ok(text.endsWith('\r\n'));
      assert.ok(!/[^\r]\n/.test(text), 'bare LF');
      assert.ok(!/\r[^\n]/.test(text), 'bare CR');
      for (const line of text.split('\r\n')) assert.ok(line.length <= 998);
    }
  });

  test('bigMessage has the exact size asked for', () => {
    for (const size of [2000, 65_536, 100_001]) {
      assert.equal(bigMessage(size).length, size);
      assert.equal(bigMessage(size, { kind: 'text' }).length, size);
    }
  });
});

describe('dovecot harness', { skip }, () => {
  let dovecot: DovecotServer;
  const clientAuth = { user: USER, password: PASSWORD };

  before(async () => {
    dovecot = await startDovecot({ messages: { [USER]: seeded } });
  });
  after(async () => {
    await dovecot?.stop();
  });

  test('the dot-stuffing sample is in the mailbox', () => {
    assert.ok(DOT_UID > 0);
  });

  test('curl imaps fetch of one UID returns the seeded bytes', async () => {
    const got = await curlFetch(`imaps://localhost:${dovecot.ports.imaps}/INBOX;UID=${DOT_UID}`, { caPath: dovecot.caPath, ...clientAuth });
    assert.ok(got.equals(seeded[DOT_UID - 1]));
  });

  test('curl imap with --ssl-reqd (STARTTLS) returns the seeded bytes', async () => {
    const got = await curlFetch(`imap://localhost:${dovecot.ports.imap}/INBOX;UID=2`, { caPath: dovecot.caPath, ...clientAuth, sslReqd: true });
    assert.ok(got.equals(seeded[1]));
  });

  for (const mode of ['implicit', 'starttls'] as const) {
    test(`python imaplib (${mode}) sees every seeded message`, async () => {
      const port = mode === 'implicit' ? dovecot.ports.imaps : dovecot.ports.imap;
      const got = await pythonImap({ host: dovecot.host, port, mode, caPath: dovecot.caPath, ...clientAuth });
      assert.deepEqual(got, expected);
    });
  }

  for (const secure of [true, false]) {
    test(`imapflow (${secure ? 'implicit TLS' : 'STARTTLS'}) sees every seeded message`, async () => {
      const got = await imapflowFetchAll({
        host: dovecot.host,
        port: secure ? dovecot.ports.imaps : dovecot.ports.imap,
        secure,
        doSTARTTLS: secure ? undefined : true,
        caPem: dovecot.caPem,
        ...clientAuth,
      });
      assert.deepEqual(
        got.map(({ uid, sha256: hash, size }) => ({ uid, sha256: hash, size })),
        expected,
      );
      got.forEach((m, i) => assert.ok(m.source.equals(seeded[i])));
    });
  }

  test('seed() adds messages later and into other mailboxes', async () => {
    dovecot.seed(USER, [bigMessage(5000, { seed: 7 }), bigMessage(6000, { seed: 8 })], 'Archive');
    const status = await dovecot.doveadm(['mailbox', 'status', '-u', USER, 'messages', 'Archive']);
    assert.equal(status.trim(), 'Archive messages=2');
  });

  test('only the messages curl fetched with BODY[] are \\Seen (all other clients PEEK)', async () => {
    const out = await dovecot.doveadm(['fetch', '-u', USER, 'uid flags', 'mailbox', 'INBOX']);
    const seen = [...out.matchAll(/uid: (\d+)\nflags: ([^\n]*)/g)].filter((m) => m[2].includes('\\Seen')).map((m) => Number(m[1]));
    assert.deepEqual(seen.sort((a, b) => a - b), [2, DOT_UID].sort((a, b) => a - b));
  });

  // POP3 last: Dovecot's pop3 marks every RETRieved message \Seen at QUIT (pop3_no_flag_updates = no).
  for (const mode of ['implicit', 'starttls'] as const) {
    test(`python poplib (${mode}) sees every seeded message`, async () => {
      const port = mode === 'implicit' ? dovecot.ports.pop3s : dovecot.ports.pop3;
      const got = await pythonPop({ host: 'localhost', port, mode, caPath: dovecot.caPath, ...clientAuth });
      assert.deepEqual(
        got,
        expected.map(({ uid, ...rest }) => ({ n: uid, ...rest })),
      );
    });
  }

  test('curl pop3s RETR undoes dot-stuffing', async () => {
    const got = await curlFetch(`pop3s://localhost:${dovecot.ports.pop3s}/${DOT_UID}`, { caPath: dovecot.caPath, ...clientAuth });
    assert.ok(got.equals(seeded[DOT_UID - 1]));
  });
});

/** Connects with Node's verifying TLS client; resolves 'ok' or the verification error code. */
function verifyWithNode(port: number, caPem: string, servername?: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: caPem, servername, rejectUnauthorized: true }, () => {
      socket.destroy();
      resolve('ok');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      resolve(err.code ?? err.message);
    });
  });
}

describe('certificate variants', { skip }, () => {
  const kinds: CertKind[] = ['valid', 'expired', 'wrong-host', 'untrusted'];
  const servers = new Map<CertKind, DovecotServer>();

  before(async () => {
    // Also proves that several instances can start at the same time.
    const started = await Promise.all(kinds.map((certKind) => startDovecot({ certKind })));
    started.forEach((s, i) => servers.set(kinds[i], s));
  });
  after(async () => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  });

  test('instances are separate', () => {
    const all = [...servers.values()];
    assert.equal(new Set(all.flatMap((s) => Object.values(s.ports))).size, all.length * 4);
    assert.equal(new Set(all.map((s) => s.instanceName)).size, all.length);
  });

  // The server sends only its leaf, so an unknown issuer shows up as UNABLE_TO_VERIFY_LEAF_SIGNATURE.
  const expectations: Record<CertKind, string> = {
    valid: 'ok',
    expired: 'CERT_HAS_EXPIRED',
    'wrong-host': 'ERR_TLS_CERT_ALTNAME_INVALID',
    untrusted: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  };
  for (const kind of kinds) {
    test(`${kind}: a client trusting the test CA says ${expectations[kind]} (IMAPS and POP3S)`, async () => {
      const s = servers.get(kind);
      assert.ok(s);
      assert.equal(await verifyWithNode(s.ports.imaps, s.caPem, 'localhost'), expectations[kind]);
      assert.equal(await verifyWithNode(s.ports.pop3s, s.caPem, 'localhost'), expectations[kind]);
      // By IP address (no SNI): checked against the IP SAN.
      assert.equal(await verifyWithNode(s.ports.imaps, s.caPem), expectations[kind]);
    });
  }

  test('untrusted: python imaplib refuses it too', async () => {
    const s = servers.get('untrusted');
    assert.ok(s);
    await assert.rejects(
      pythonImap({ host: 'localhost', port: s.ports.imaps, mode: 'implicit', caPath: s.caPath, user: USER, password: PASSWORD }),
      /CERTIFICATE_VERIFY_FAILED/,
    );
  });
});

describe('start-up robustness', { skip }, () => {
  test('a port taken between picking and binding makes start retry with new ports', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    let calls = 0;
    const dovecot = await startDovecot({
      pickPorts: async () => {
        calls += 1;
        const ports = await freePorts(4);
        if (calls === 1) ports[1] = taken;
        return ports;
      },
    });
    try {
      assert.equal(calls, 2);
      assert.notEqual(dovecot.ports.imaps, taken);
      const greeting = await readGreeting({ host: dovecot.host, port: dovecot.ports.imap, tls: false, timeoutMs: 2000 });
      assert.match(greeting, /^\* OK /);
    } finally {
      await dovecot.stop();
      blocker.close();
    }
  });

  test('a start that times out says so and shows the log tail', async () => {
    await assert.rejects(startDovecot({ startTimeoutMs: 1 }), /did not become ready in time[\s\S]*dovecot\.log \(tail\)/);
  });
});
