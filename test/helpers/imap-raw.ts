import { RawClient } from './raw-client.js';

/** A tagged IMAP conversation over RawClient, keeping every byte (as latin1 text) for exact comparisons. */
export class RawImap {
  private tag = 0;

  private constructor(readonly client: RawClient) {}

  static async open(port: number, ca: string, login = true): Promise<RawImap> {
    const client = await RawClient.connect(port, { tls: { ca } });
    await client.waitFor(/\r\n$/);
    const imap = new RawImap(client);
    if (login) await imap.run('LOGIN alice secret');
    return imap;
  }

  /** Sends one command and returns everything received until its tagged completion (inclusive). */
  async run(command: string): Promise<string> {
    return this.pipeline([command]);
  }

  /** Sends several commands in one write; returns everything until the last one completes. */
  async pipeline(commands: string[]): Promise<string> {
    const tags = commands.map(() => `t${++this.tag}`);
    this.client.clear();
    const from = 0;
    this.client.write(commands.map((command, index) => `${tags[index]} ${command}\r\n`).join(''));
    const last = tags[tags.length - 1];
    return this.client.waitFor(new RegExp(`(^|\\r\\n)${last} (OK|NO|BAD)[^\\r]*\\r\\n$`), { from, timeoutMs: 60_000 });
  }

  close(): void {
    this.client.close();
  }
}

/** Dovecot puts timings in completion lines ("(0.001 + 0.000 secs)"); they differ between sessions. */
export function withoutTimings(text: string): string {
  return text.replace(/ \(\d+\.\d+ \+ \d+\.\d+(?: \+ \d+\.\d+)? secs\)/g, '');
}

/** The literal that follows `item` (e.g. "BODY[]<0>") in a FETCH response, as a Buffer. */
export function literalAfter(response: string, item: string): Buffer {
  const at = response.indexOf(`${item} {`);
  if (at < 0) throw new Error(`no ${item} literal in: ${response.slice(0, 300)}`);
  const open = at + item.length + 1;
  const close = response.indexOf('}\r\n', open);
  const length = Number(response.slice(open + 1, close));
  return Buffer.from(response.slice(close + 3, close + 3 + length), 'latin1');
}
