import { lineText } from '../protocol/line-buffer.js';
import { LinePrelude } from '../protocol/line-prelude.js';

// POP3 greeting and STLS negotiation (RFC 1939 §4, RFC 2595 §4) for both legs. POP3 has no second
// greeting after STLS, so the upstream greeting (with any APOP timestamp) is what the client sees.

export function pop3FatalLine(text: string): Buffer {
  return Buffer.from(`-ERR inboxguard: ${text}\r\n`, 'latin1');
}

export class Pop3Prelude extends LinePrelude {
  protected readonly protocol = 'pop3' as const;

  protected onGreeting(line: Buffer): void {
    const text = lineText(line);
    if (/^-ERR\b/i.test(text)) return this.closeAfter(line, 'upstream refused the connection (-ERR greeting)');
    if (!/^\+OK\b/i.test(text)) return this.fail('upstream did not greet like a POP3 server');
    this.greeting = line;
    if (this.options.upstreamTls === 'starttls') this.requestUpstreamUpgrade('STLS');
    else this.afterUpstreamReady();
  }

  protected onUpstreamUpgradeReply(line: Buffer): void {
    const text = lineText(line);
    if (/^\+OK\b/i.test(text)) return this.startUpstreamTls();
    this.fail(`upstream refused STLS (${text.slice(0, 200)})`);
  }

  protected plainGreeting(): Buffer {
    return this.greeting;
  }

  protected forwardableGreeting(): Buffer {
    return this.greeting;
  }

  protected fatalLine(reason: string): Buffer {
    return pop3FatalLine(reason);
  }

  protected onPlainClientCommand(text: string): void {
    switch (/^(\S*)/.exec(text)?.[1]?.toUpperCase()) {
      case 'CAPA':
        return this.reply('+OK Capability list follows', 'STLS', '.');
      case 'QUIT':
        return this.closeAfter(Buffer.from('+OK inboxguard: bye\r\n'), 'client quit before STLS');
      case 'STLS':
        this.reply('+OK Begin TLS negotiation');
        return this.startClientTls();
      case 'USER':
      case 'PASS':
      case 'APOP':
      case 'AUTH':
        return this.reply('-ERR [AUTH] inboxguard: issue STLS first, this listener requires TLS');
      default:
        return this.reply('-ERR inboxguard: only CAPA, STLS and QUIT are accepted before STLS');
    }
  }
}
