import { lineText } from '../protocol/line-buffer.js';
import { LinePrelude } from '../protocol/line-prelude.js';

// IMAP greeting and STARTTLS negotiation (RFC 9051 §6.2.1, §7.1) for both legs.

const UPSTREAM_TAG = 'ig0';
const PRE_TLS_CAPABILITIES = 'IMAP4rev1 STARTTLS LOGINDISABLED';

export function imapFatalLine(text: string): Buffer {
  return Buffer.from(`* BYE [ALERT] inboxguard: ${text}\r\n`, 'latin1');
}

export class ImapPrelude extends LinePrelude {
  protected readonly protocol = 'imap' as const;

  protected onGreeting(line: Buffer): void {
    const kind = /^\* (OK|PREAUTH|BYE)\b/i.exec(lineText(line))?.[1]?.toUpperCase();
    if (kind === 'BYE') return this.closeAfter(line, 'upstream refused the connection (BYE greeting)');
    if (!kind) return this.fail('upstream did not greet like an IMAP server');
    if (kind === 'PREAUTH' && (this.options.upstreamTls === 'starttls' || this.options.clientTls === 'starttls')) {
      return this.fail('upstream pre-authenticated the connection, so STARTTLS is impossible; refusing to continue without TLS');
    }
    this.greeting = line;
    if (this.options.upstreamTls === 'starttls') this.requestUpstreamUpgrade(`${UPSTREAM_TAG} STARTTLS`);
    else this.afterUpstreamReady();
  }

  protected onUpstreamUpgradeReply(line: Buffer): void {
    const text = lineText(line);
    if (text.startsWith('* ')) return; // untagged data before the answer is allowed and not needed
    if (new RegExp(`^${UPSTREAM_TAG} OK\\b`, 'i').test(text)) return this.startUpstreamTls();
    this.fail(`upstream refused STARTTLS (${text.slice(0, 200)})`);
  }

  protected plainGreeting(): Buffer {
    return Buffer.from(`* OK [CAPABILITY ${PRE_TLS_CAPABILITIES}] inboxguard ready, STARTTLS required\r\n`);
  }

  /**
   * A capability list read before an upstream STARTTLS is stale (RFC 9051 §6.2.1), and STARTTLS is
   * never available through this listener once the prelude is over.
   */
  protected forwardableGreeting(): Buffer {
    const match = /^(\* \S+ )\[CAPABILITY ([^\]]*)\] ?(.*)$/i.exec(lineText(this.greeting));
    if (!match) return this.greeting;
    if (this.options.upstreamTls === 'starttls') return Buffer.from(`${match[1]}${match[3]}\r\n`, 'latin1');
    const capabilities = match[2].split(' ');
    const kept = capabilities.filter((capability) => capability.toUpperCase() !== 'STARTTLS');
    if (kept.length === capabilities.length) return this.greeting;
    return Buffer.from(`${match[1]}[CAPABILITY ${kept.join(' ')}] ${match[3]}\r\n`, 'latin1');
  }

  protected fatalLine(reason: string): Buffer {
    return imapFatalLine(reason);
  }

  protected onPlainClientCommand(text: string): void {
    const match = /^([^\s(){%*"\\\]]+) ([A-Za-z]+)/.exec(text);
    if (!match) return this.reply('* BAD inboxguard: invalid command');
    const [, tag, command] = match;
    switch (command.toUpperCase()) {
      case 'CAPABILITY':
        return this.reply(`* CAPABILITY ${PRE_TLS_CAPABILITIES}`, `${tag} OK CAPABILITY completed`);
      case 'NOOP':
        return this.reply(`${tag} OK NOOP completed`);
      case 'LOGOUT':
        return this.closeAfter(Buffer.from(`* BYE inboxguard: logging out\r\n${tag} OK LOGOUT completed\r\n`), 'client logged out before STARTTLS');
      case 'STARTTLS':
        this.reply(`${tag} OK Begin TLS negotiation now`);
        return this.startClientTls();
      case 'LOGIN':
      case 'AUTHENTICATE':
        return this.reply(`${tag} NO [PRIVACYREQUIRED] inboxguard: issue STARTTLS first`);
      default:
        return this.reply(`${tag} BAD inboxguard: only CAPABILITY, NOOP, LOGOUT and STARTTLS are accepted before STARTTLS`);
    }
  }
}
