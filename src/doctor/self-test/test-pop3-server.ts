// The self-test's POP3 upstream (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS): USER/PASS, STAT, LIST, UIDL,
// RETR, TOP, NOOP, RSET, QUIT on its two fixed messages. DELE is refused: the mailbox never changes.
import type { LeafPem } from '../../ca/leaf.js';
import type { TlsMode } from '../../types/tls-mode.js';
import { DotStuffer } from '../../pop3/dot-stuffing.js';
import { startLineServer, type Dialogue, type LineServer, type Reply } from './line-server.js';
import { SELF_TEST_MAILBOX, SELF_TEST_USER } from './test-messages.js';

export function startTestPop3Server(mode: TlsMode, certificate: LeafPem): Promise<LineServer> {
  return startLineServer(mode, certificate, (tlsActive) => new Pop3Dialogue(mode, tlsActive));
}

function dotStuff(content: Buffer): Buffer {
  const stuffer = new DotStuffer();
  return Buffer.concat([stuffer.push(content), stuffer.end()]);
}

class Pop3Dialogue implements Dialogue {
  private user: string | undefined;
  private authorized = false;

  constructor(
    private readonly mode: TlsMode,
    private readonly tlsActive: () => boolean,
  ) {}

  greeting(): string {
    return '+OK inboxguard doctor test server ready\r\n';
  }

  command(line: string): Reply {
    const [name = '', ...args] = line.split(' ');
    const ok = (text: string): Reply => ({ bytes: `+OK ${text}\r\n` });
    const err = (text: string): Reply => ({ bytes: `-ERR ${text}\r\n` });
    const block = (status: string, body: Buffer): Reply => ({ bytes: Buffer.concat([Buffer.from(`+OK ${status}\r\n`), dotStuff(body), Buffer.from('.\r\n')]) });
    const listing = (line: (number: number) => string) => Buffer.from(SELF_TEST_MAILBOX.map((_, index) => `${line(index + 1)}\r\n`).join(''), 'latin1');
    switch (name.toUpperCase()) {
      case 'CAPA':
        return block('capability list follows', Buffer.from(['USER', 'UIDL', 'TOP', ...(this.mode === 'starttls' && !this.tlsActive() ? ['STLS'] : [])].map((c) => `${c}\r\n`).join('')));
      case 'STLS':
        if (this.mode !== 'starttls' || this.tlsActive()) return err('STLS not available');
        return { bytes: '+OK begin TLS now\r\n', then: 'start-tls' };
      case 'NOOP':
        return ok('');
      case 'QUIT':
        return { bytes: '+OK bye\r\n', then: 'close' };
      case 'USER':
        if (this.mode === 'starttls' && !this.tlsActive()) return err('[AUTH] STLS first');
        this.user = args[0];
        return ok('send PASS');
      case 'PASS':
        if (this.user !== SELF_TEST_USER.user) return err('[AUTH] unknown user');
        this.authorized = true;
        return ok('logged in');
    }
    if (!this.authorized) return err('log in first');
    const message = (text: string | undefined) => {
      const number = Number(text);
      return Number.isInteger(number) ? SELF_TEST_MAILBOX[number - 1] : undefined;
    };
    const total = SELF_TEST_MAILBOX.reduce((sum, item) => sum + item.length, 0);
    switch (name.toUpperCase()) {
      case 'STAT':
        return ok(`${SELF_TEST_MAILBOX.length} ${total}`);
      case 'LIST':
        if (args[0]) return message(args[0]) ? ok(`${args[0]} ${message(args[0])!.length}`) : err('no such message');
        return block(`${SELF_TEST_MAILBOX.length} messages`, listing((number) => `${number} ${SELF_TEST_MAILBOX[number - 1].length}`));
      case 'UIDL':
        if (args[0]) return message(args[0]) ? ok(`${args[0]} selftest-${args[0]}`) : err('no such message');
        return block('unique ids follow', listing((number) => `${number} selftest-${number}`));
      case 'RETR': {
        const found = message(args[0]);
        return found ? block(`${found.length} octets`, found) : err('no such message');
      }
      case 'TOP': {
        const found = message(args[0]);
        const lines = Number(args[1]);
        if (!found || !Number.isInteger(lines) || lines < 0) return err('usage: TOP msg lines');
        const headerEnd = found.indexOf('\r\n\r\n') + 4;
        const bodyLines = found.subarray(headerEnd).toString('latin1').split('\r\n').slice(0, lines);
        return block('top follows', Buffer.concat([found.subarray(0, headerEnd), Buffer.from(bodyLines.map((l) => `${l}\r\n`).join(''), 'latin1')]));
      }
      case 'RSET':
        return ok('');
      case 'DELE':
        return err('the doctor test mailbox is read-only');
      default:
        return err(`${name} is not supported by the doctor test server`);
    }
  }
}
