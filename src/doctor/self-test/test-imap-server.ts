// The self-test's IMAP upstream (RFC 9051 subset): LOGIN, SELECT/EXAMINE INBOX, FETCH / UID FETCH of
// UID, FLAGS, RFC822.SIZE and BODY[] (or BODY.PEEK[], RFC822) on its two fixed messages, STARTTLS when
// the mode asks for it, NOOP, CAPABILITY, LIST, LSUB, LOGOUT. Anything else gets BAD. Read-only: nothing
// the client does changes the messages.
import type { LeafPem } from '../../ca/leaf.js';
import type { TlsMode } from '../../types/tls-mode.js';
import { startLineServer, type Dialogue, type LineServer, type Reply } from './line-server.js';
import { SELF_TEST_MAILBOX, SELF_TEST_USER } from './test-messages.js';

export function startTestImapServer(mode: TlsMode, certificate: LeafPem): Promise<LineServer> {
  return startLineServer(mode, certificate, (tlsActive) => new ImapDialogue(mode, tlsActive));
}

class ImapDialogue implements Dialogue {
  private loggedIn = false;
  private selected = false;

  constructor(
    private readonly mode: TlsMode,
    private readonly tlsActive: () => boolean,
  ) {}

  greeting(): string {
    return `* OK [CAPABILITY ${this.capabilities()}] inboxguard doctor test server ready\r\n`;
  }

  command(line: string): Reply {
    const match = /^(\S+) (\S+)(?: (.*))?$/.exec(line);
    if (!match) return { bytes: '* BAD malformed command\r\n' };
    const [, tag, name, rest = ''] = match;
    const ok = (text: string, untagged: string[] = []): Reply => ({ bytes: [...untagged, `${tag} OK ${text}`].join('\r\n') + '\r\n' });
    switch (name.toUpperCase()) {
      case 'CAPABILITY':
        return ok('CAPABILITY completed', [`* CAPABILITY ${this.capabilities()}`]);
      case 'NOOP':
        return ok('NOOP completed');
      case 'STARTTLS':
        if (this.mode !== 'starttls' || this.tlsActive()) return { bytes: `${tag} BAD STARTTLS not available\r\n` };
        return { bytes: `${tag} OK begin TLS now\r\n`, then: 'start-tls' };
      case 'LOGIN':
        if (!this.mayLogIn()) return { bytes: `${tag} NO [PRIVACYREQUIRED] STARTTLS first\r\n` };
        // The user name as an atom or a quoted string (imapflow quotes it).
        if (!rest.startsWith(`${SELF_TEST_USER.user} `) && !rest.startsWith(`"${SELF_TEST_USER.user}" `)) return { bytes: `${tag} NO [AUTHENTICATIONFAILED] unknown user\r\n` };
        this.loggedIn = true;
        return ok(`[CAPABILITY ${this.capabilities()}] logged in`);
      case 'LIST':
      case 'LSUB':
        return ok(`${name.toUpperCase()} completed`, rest.endsWith('""') ? [`* ${name.toUpperCase()} (\\Noselect) "/" ""`] : [`* ${name.toUpperCase()} (\\HasNoChildren) "/" INBOX`]);
      case 'SELECT':
      case 'EXAMINE':
        if (!this.loggedIn) return { bytes: `${tag} BAD log in first\r\n` };
        this.selected = true;
        return ok(`[${name.toUpperCase() === 'SELECT' ? 'READ-WRITE' : 'READ-ONLY'}] ${name.toUpperCase()} completed`, [
          '* FLAGS (\\Seen \\Deleted)',
          '* OK [PERMANENTFLAGS ()] no permanent flags',
          `* ${SELF_TEST_MAILBOX.length} EXISTS`,
          '* 0 RECENT',
          '* OK [UIDVALIDITY 1] UIDs valid',
          `* OK [UIDNEXT ${SELF_TEST_MAILBOX.length + 1}] next UID`,
        ]);
      case 'UID': {
        const sub = /^FETCH (\S+) (.*)$/i.exec(rest);
        if (!sub) return { bytes: `${tag} BAD only UID FETCH is supported\r\n` };
        return this.fetch(tag, sub[1], sub[2], true);
      }
      case 'FETCH': {
        const sub = /^(\S+) (.*)$/.exec(rest);
        if (!sub) return { bytes: `${tag} BAD FETCH needs a set and items\r\n` };
        return this.fetch(tag, sub[1], sub[2], false);
      }
      case 'CLOSE':
      case 'UNSELECT':
        this.selected = false;
        return ok(`${name.toUpperCase()} completed`);
      case 'LOGOUT':
        return { bytes: `* BYE logging out\r\n${tag} OK LOGOUT completed\r\n`, then: 'close' };
      default:
        return { bytes: `${tag} BAD ${name} is not supported by the doctor test server\r\n` };
    }
  }

  private mayLogIn(): boolean {
    return this.mode !== 'starttls' || this.tlsActive();
  }

  private capabilities(): string {
    return this.mode === 'starttls' && !this.tlsActive() ? 'IMAP4rev1 STARTTLS LOGINDISABLED' : 'IMAP4rev1';
  }

  private fetch(tag: string, set: string, itemText: string, byUid: boolean): Reply {
    if (!this.selected) return { bytes: `${tag} BAD select a mailbox first\r\n` };
    const items = itemText.toUpperCase();
    const wantsBody = /BODY(\.PEEK)?\[\]|RFC822(?![.\w])/.test(items);
    const chunks: Buffer[] = [];
    for (const number of numbersIn(set, SELF_TEST_MAILBOX.length)) {
      const message = SELF_TEST_MAILBOX[number - 1];
      const fields: string[] = [];
      if (byUid || items.includes('UID')) fields.push(`UID ${number}`);
      if (items.includes('FLAGS')) fields.push('FLAGS ()');
      if (items.includes('RFC822.SIZE')) fields.push(`RFC822.SIZE ${message.length}`);
      const head = `* ${number} FETCH (${fields.join(' ')}`;
      if (wantsBody) {
        chunks.push(Buffer.from(`${head}${fields.length ? ' ' : ''}BODY[] {${message.length}}\r\n`, 'latin1'), message, Buffer.from(')\r\n'));
      } else {
        chunks.push(Buffer.from(`${head})\r\n`, 'latin1'));
      }
    }
    chunks.push(Buffer.from(`${tag} OK FETCH completed\r\n`));
    return { bytes: Buffer.concat(chunks) };
  }
}

/** The message numbers (= UIDs) of a sequence set such as "1:*", "2", "1,2"; * is the last message. */
function numbersIn(set: string, count: number): number[] {
  const chosen = new Set<number>();
  const value = (text: string) => (text === '*' ? count : Number(text));
  for (const range of set.split(',')) {
    const [from, to = from] = range.split(':').map(value);
    for (let number = Math.min(from, to); number <= Math.max(from, to); number++) if (number >= 1 && number <= count) chosen.add(number);
  }
  return [...chosen].sort((a, b) => a - b);
}
