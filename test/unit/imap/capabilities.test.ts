// COMPRESS=… is removed from every capability list; everything else passes byte for byte.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { announcedCapabilities, filterCapabilities } from '../../../src/imap/capability-filter.js';
import { EngineDriver } from './harness.js';

const OTHERS = 'IMAP4rev1 IDLE ID UIDPLUS CONDSTORE QRESYNC LITERAL+ BINARY MOVE UTF8=ACCEPT ENABLE SASL-IR AUTH=PLAIN';

describe('capability filtering', () => {
  test('greeting [CAPABILITY …]', () => {
    const d = new EngineDriver();
    d.server(`* OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE IDLE] Dovecot ready.\r\n`);
    assert.equal(d.takeClient(), '* OK [CAPABILITY IMAP4rev1 IDLE] Dovecot ready.\r\n');
    assert.deepEqual(d.takeEvents(), [{ type: 'capability-removed', protocol: 'imap', capabilities: ['COMPRESS=DEFLATE'] }]);
  });

  test('* CAPABILITY, including the last position and other COMPRESS= variants', () => {
    const d = new EngineDriver();
    d.server('* OK ready\r\n');
    d.client('c1 CAPABILITY\r\n');
    d.server(`* CAPABILITY ${OTHERS} COMPRESS=DEFLATE\r\nc1 OK done\r\n* CAPABILITY IMAP4rev1 compress=deflate COMPRESS=X-ZSTD STARTTLS\r\n`);
    assert.equal(d.takeClient(), `* OK ready\r\n* CAPABILITY ${OTHERS}\r\nc1 OK done\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\n`);
  });

  test('tagged OK [CAPABILITY …] after login, and PREAUTH greeting', () => {
    const d = new EngineDriver();
    d.server(`* PREAUTH [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] hi\r\n`);
    d.client('l1 LOGIN a b\r\n');
    d.server(`l1 OK [CAPABILITY ${OTHERS} COMPRESS=DEFLATE SORT] Logged in\r\n`);
    assert.equal(d.takeClient(), `* PREAUTH [CAPABILITY IMAP4rev1] hi\r\nl1 OK [CAPABILITY ${OTHERS} SORT] Logged in\r\n`);
  });

  test('lines with nothing to remove are forwarded as the same bytes', () => {
    const lines = [
      `* OK [CAPABILITY ${OTHERS}] ready\r\n`,
      `* CAPABILITY ${OTHERS}\r\n`,
      'a1 OK [CAPABILITY IMAP4rev1  IDLE] odd  spacing\r\n',
      '* OK [ALERT] COMPRESS=DEFLATE is mentioned in text only\r\n',
      'a2 NO [CAPABILITY COMPRESS=DEFLATE] only OK responses carry capabilities that matter\r\n',
    ];
    const d = new EngineDriver();
    for (const line of lines) d.server(line);
    assert.equal(d.takeClient(), lines.join(''));
    const same = Buffer.from(lines[0]);
    assert.equal(filterCapabilities(same).line, same, 'the very same Buffer');
  });

  test('sessions share one capability set per distinct list, read from any line that carries it', () => {
    const greeting = announcedCapabilities(Buffer.from(`* OK [CAPABILITY ${OTHERS}] ready\r\n`));
    const untagged = announcedCapabilities(Buffer.from(`* CAPABILITY ${OTHERS}\r\n`));
    assert.ok(greeting?.has('IMAP4REV1') && greeting.has('AUTH=PLAIN'));
    assert.equal(greeting?.size, OTHERS.split(' ').length);
    assert.equal(untagged, greeting, 'the same set object, not a copy per line');
    const other = announcedCapabilities(Buffer.from('a1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n'));
    assert.notEqual(other, greeting);
    assert.deepEqual([...(other ?? [])], ['IMAP4REV1', 'IDLE']);
    assert.equal(announcedCapabilities(Buffer.from('* 3 FETCH (FLAGS (\\Seen))\r\n')), undefined);
  });
});
