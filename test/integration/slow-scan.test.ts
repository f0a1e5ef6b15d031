import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDovecot, type DovecotServer } from '../../scripts/test-servers/dovecot.js';
import { pythonPop, sha256 } from '../helpers/clients.js';
import { literalAfter, RawImap } from '../helpers/imap-raw.js';
import { MARKER, markerScanner } from '../helpers/marker-scanner.js';
import { withAttachments } from '../helpers/messages.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { requireAll, requireCommand, requireDovecot } from '../helpers/require-servers.js';

const skip = requireAll(requireDovecot(), requireCommand('python3', 'python3'));
const SAME = 'X'.repeat(MARKER.length);

describe('a scan slower than the client can wait', { skip }, () => {
  let dovecot: DovecotServer;
  let proxy: TestProxy;
  const message = withAttachments({ seed: 5, text: `slow ${MARKER} scan` });

  before(async () => {
    dovecot = await startDovecot({ messages: { alice: [message] } });
    proxy = await startTestProxy(
      [
        { name: 'pop3s', upstream: `localhost:${dovecot.ports.pop3s}`, protocol: 'pop3', upstreamCa: dovecot.caPath },
        { name: 'imaps', upstream: `localhost:${dovecot.ports.imaps}`, protocol: 'imap', upstreamCa: dovecot.caPath },
      ],
      { scanner: markerScanner(SAME, 3500), settings: { pop3: { maxHoldSeconds: 1 }, imap: { keepaliveSeconds: 1 } } },
    );
  });

  after(async () => {
    await proxy?.close();
    await dovecot?.stop();
  });

  it('POP3: after pop3.maxHoldSeconds the message is settled by scan.onError (pass: delivered unchanged) and the late verdict is ignored', async () => {
    const fetched = await pythonPop({ host: '127.0.0.1', port: proxy.port('pop3s'), mode: 'implicit', caPath: proxy.caPath, user: 'alice', password: 'secret' });
    assert.deepEqual(fetched.map((entry) => entry.sha256), [sha256(message)]);
    const log = await proxy.logText();
    assert.match(log, /"type":"scan-timeout"/);
    assert.match(log, /settled by the scan\.onError policy/);
  });

  it('IMAP: untagged * OK [INPROGRESS] keep-alives precede the held FETCH, which then carries the scanned body', async () => {
    const imap = await RawImap.open(proxy.port('imaps'), proxy.caPem);
    await imap.run('EXAMINE INBOX');
    const response = await imap.run('UID FETCH 1 (BODY.PEEK[])');
    const keepalives = response.match(/^\* OK \[INPROGRESS[^\r]*\r\n/gm) ?? [];
    assert.ok(keepalives.length >= 2, `expected keep-alives, got: ${response.slice(0, 300)}`);
    assert.ok(response.indexOf('* OK [INPROGRESS') < response.indexOf('FETCH ('), 'keep-alives come before the response, never inside it');
    assert.equal(sha256(literalAfter(response, 'BODY[]')), sha256(Buffer.from(message.toString('latin1').replace(MARKER, SAME), 'latin1')));
    imap.close();
  });
});
