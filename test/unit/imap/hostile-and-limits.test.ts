// The IMAP engine against peers that go past the protocol limits (src/protocol/limits.ts): each hit
// is one typed protocolError output, the client is told with an untagged BYE where that fits, and
// the session ends; nothing past the hit reaches the other side. Inputs just under a limit pass.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImapEngine } from '../../../src/imap/engine.js';
import { defaultEngineOptions, type EngineOutput } from '../../../src/protocol/engine.js';
import { DEFAULT_PROTOCOL_LIMITS, type ImapLimits, type LimitHit } from '../../../src/protocol/limits.js';

const GREETING = '* OK [CAPABILITY IMAP4rev1 LITERAL+ ID] ready\r\n';
const DEFAULTS = DEFAULT_PROTOCOL_LIMITS.imap;

type Split = (data: Buffer) => Buffer[];
const whole: Split = (data) => [data];
const byteByByte: Split = (data) => [...data].map((byte) => Buffer.from([byte]));
const pieces =
  (size: number): Split =>
  (data) => {
    const out: Buffer[] = [];
    for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
    return out;
  };

/** Drives the engine directly and records what each side would receive; no scanner is involved. */
class Session {
  readonly engine: ImapEngine;
  private readonly toClient: Buffer[] = [];
  private readonly toServer: Buffer[] = [];
  readonly hits: LimitHit[] = [];
  readonly clientIds: string[] = [];
  readonly closes: string[] = [];
  readonly kinds: EngineOutput['kind'][] = [];

  constructor(limits: Partial<ImapLimits> = {}) {
    this.engine = new ImapEngine({ ...defaultEngineOptions, limits: { ...DEFAULT_PROTOCOL_LIMITS, imap: { ...DEFAULTS, ...limits } } });
    this.server(GREETING);
  }

  get clientText(): string {
    return Buffer.concat(this.toClient).toString('latin1');
  }

  get serverText(): string {
    return Buffer.concat(this.toServer).toString('latin1');
  }

  client(data: string | Buffer, split: Split = whole): this {
    for (const piece of split(Buffer.from(data))) {
      this.engine.fromClient(piece);
      this.drain();
    }
    return this;
  }

  server(data: string | Buffer, split: Split = whole): this {
    for (const piece of split(Buffer.from(data))) {
      this.engine.fromServer(piece);
      this.drain();
    }
    return this;
  }

  private drain(): void {
    for (const out of this.engine.drain()) {
      assert.equal(this.closes.length, 0, `output ${out.kind} after close`);
      this.kinds.push(out.kind);
      switch (out.kind) {
        case 'toClient':
          this.toClient.push(Buffer.from(out.bytes));
          break;
        case 'toServer':
        case 'commitToServer':
          this.toServer.push(Buffer.from(out.bytes));
          break;
        case 'protocolError':
          this.hits.push({ side: out.side, limit: out.limit, value: out.value });
          break;
        case 'clientId':
          this.clientIds.push(out.name);
          break;
        case 'close':
          this.closes.push(out.reason);
          break;
        default:
          break;
      }
    }
  }
}

const bye = (text: string): string => `* BYE inboxguard: ${text}\r\n`;

describe('client lines', () => {
  it('refuses a command line past imap.clientLineBytes (default 1 MiB) without forwarding any of it', () => {
    for (const split of [whole, pieces(64 * 1024)]) {
      const session = new Session().client(Buffer.alloc(DEFAULTS.clientLineBytes + 1, 0x61), split);
      assert.deepEqual(session.hits, [{ side: 'client', limit: 'imap.clientLineBytes', value: 1024 * 1024 }]);
      assert.equal(session.clientText, GREETING + bye('command line too long'));
      assert.equal(session.serverText, '');
      assert.equal(session.closes.length, 1);
    }
  });

  it('counts the line ending: a line of exactly the limit passes, one byte more does not, in any chunking', () => {
    const line = (bytes: number): string => `a NOOP ${'x'.repeat(bytes - 'a NOOP \r\n'.length)}\r\n`;
    for (const split of [whole, byteByByte, pieces(7)]) {
      const fits = new Session({ clientLineBytes: 100 }).client(line(100), split);
      assert.equal(fits.serverText, line(100));
      assert.deepEqual(fits.hits, []);
      const over = new Session({ clientLineBytes: 100 }).client(line(101), split);
      assert.equal(over.serverText, '');
      assert.deepEqual(over.hits, [{ side: 'client', limit: 'imap.clientLineBytes', value: 100 }]);
      assert.equal(over.clientText, GREETING + bye('command line too long'));
    }
  });

  it('stops at the overlong line: earlier commands went through, nothing after it does', () => {
    const session = new Session({ clientLineBytes: 100 }).client(`a NOOP\r\n${'b'.repeat(200)}\r\nc NOOP\r\n`);
    assert.equal(session.serverText, 'a NOOP\r\n');
    assert.equal(session.hits.length, 1);
    session.server('a OK done\r\n').client('d NOOP\r\n');
    assert.equal(session.serverText, 'a NOOP\r\n');
    assert.equal(session.clientText, GREETING + bye('command line too long'));
  });

  it('sends no BYE into the middle of a server response', () => {
    const session = new Session({ clientLineBytes: 100 })
      .client('a FETCH 1 BODY.PEEK[]\r\n')
      .server('* 1 FETCH (BODY[] {50}\r\n0123456789')
      .client('x'.repeat(150));
    assert.deepEqual(session.hits, [{ side: 'client', limit: 'imap.clientLineBytes', value: 100 }]);
    assert.ok(!session.clientText.includes('BYE'), session.clientText);
    assert.equal(session.closes.length, 1);
  });
});

describe('server lines', () => {
  it('refuses a response line past imap.serverLineBytes (default 64 MiB)', () => {
    const session = new Session().client('a LIST "" *\r\n').server(Buffer.alloc(DEFAULTS.serverLineBytes + 1, 0x61));
    assert.deepEqual(session.hits, [{ side: 'server', limit: 'imap.serverLineBytes', value: 64 * 1024 * 1024 }]);
    assert.equal(session.clientText, GREETING, 'none of the line reaches the client');
    assert.equal(session.closes.length, 1);
  });

  it('in any chunking, and what follows the overlong line is not forwarded', () => {
    for (const split of [whole, byteByByte, pieces(13)]) {
      const session = new Session({ serverLineBytes: 64 })
        .client('a LIST "" *\r\n')
        .server(`* LIST () "/" INBOX\r\n* LIST () "/" ${'m'.repeat(80)}\r\na OK done\r\n`, split);
      assert.deepEqual(session.hits, [{ side: 'server', limit: 'imap.serverLineBytes', value: 64 }]);
      assert.equal(session.clientText, `${GREETING}* LIST () "/" INBOX\r\n`);
      assert.equal(session.closes.length, 1);
    }
  });
});

describe('literals', () => {
  it('refuses a client literal announced past imap.clientLiteralBytes before its command reaches the server', () => {
    for (const header of ['{101}', '{101+}']) {
      for (const split of [whole, byteByByte]) {
        const session = new Session({ clientLiteralBytes: 100 }).client(`a NOOP\r\nb APPEND INBOX ${header}\r\n`, split);
        assert.deepEqual(session.hits, [{ side: 'client', limit: 'imap.clientLiteralBytes', value: 100 }]);
        assert.equal(session.serverText, 'a NOOP\r\n');
        assert.equal(session.clientText, GREETING + bye('literal too large'));
        assert.equal(session.closes.length, 1);
      }
    }
  });

  it('passes a literal of exactly the limit, and checks literals on continuation lines too', () => {
    const fits = new Session({ clientLiteralBytes: 10 }).client(`a APPEND INBOX {10+}\r\n0123456789\r\n`);
    assert.equal(fits.serverText, 'a APPEND INBOX {10+}\r\n0123456789\r\n');
    assert.deepEqual(fits.hits, []);
    const second = new Session({ clientLiteralBytes: 10 }).client('a LOGIN {4+}\r\nuser {11+}\r\n');
    assert.equal(second.serverText, 'a LOGIN {4+}\r\nuser', 'the literal went through; the line after it announces one too large');
    assert.deepEqual(second.hits, [{ side: 'client', limit: 'imap.clientLiteralBytes', value: 10 }]);
  });

  it('refuses a server literal announced past imap.serverLiteralBytes; a held FETCH response never reaches the client', () => {
    for (const split of [whole, byteByByte]) {
      const session = new Session({ serverLiteralBytes: 100 })
        .client('a FETCH 1:2 BODY.PEEK[]\r\n')
        .server('* 1 FETCH (BODY[] {3}\r\nabc)\r\n* 2 FETCH (BODY[] {101}\r\n', split);
      assert.deepEqual(session.hits, [{ side: 'server', limit: 'imap.serverLiteralBytes', value: 100 }]);
      assert.ok(!session.clientText.includes('* 2 FETCH'), session.clientText);
      assert.equal(session.closes.length, 1);
    }
  });

  it('counts only real literals: text ending in {n} in a status response is no literal', () => {
    const session = new Session({ serverLiteralBytes: 100 }).client('a NOOP\r\n').server('* OK [ALERT] quota {999}\r\na OK done\r\n');
    assert.deepEqual(session.hits, []);
    assert.equal(session.clientText, `${GREETING}* OK [ALERT] quota {999}\r\na OK done\r\n`);
  });
});

describe('pipelined commands outstanding', () => {
  it('forwards at most imap.commandsOutstanding (default 10,000) unanswered commands', () => {
    const commands = Array.from({ length: DEFAULTS.commandsOutstanding + 1 }, (_, i) => `t${i} NOOP\r\n`);
    const session = new Session().client(commands.join(''));
    assert.equal(session.serverText, commands.slice(0, 10_000).join(''));
    assert.deepEqual(session.hits, [{ side: 'client', limit: 'imap.commandsOutstanding', value: 10_000 }]);
    assert.equal(session.clientText, GREETING + bye('too many pipelined commands'));
    assert.equal(session.closes.length, 1);
  });

  it('counts commands not yet completed, and answers the proxy still owes', () => {
    const session = new Session({ commandsOutstanding: 3 }).client('a NOOP\r\nb NOOP\r\n').server('a OK\r\n').client('c NOOP\r\nd STARTTLS\r\n');
    assert.equal(session.serverText, 'a NOOP\r\nb NOOP\r\nc NOOP\r\n');
    assert.deepEqual(session.hits, [], 'a answered: b, c and the STARTTLS refusal are three');
    session.client('e NOOP\r\n');
    assert.deepEqual(session.hits, [{ side: 'client', limit: 'imap.commandsOutstanding', value: 3 }]);
    assert.equal(session.serverText, 'a NOOP\r\nb NOOP\r\nc NOOP\r\n');
  });
});

describe('ID and AUTHENTICATE', () => {
  const id = (nameBytes: number): string => `i ID ("name" "${'n'.repeat(nameBytes)}")\r\n`;

  it('identifies a client whose ID fits imap.idBytes', () => {
    const session = new Session().client(id(100));
    assert.deepEqual(session.clientIds, ['n'.repeat(100)]);
    assert.deepEqual(session.hits, []);
  });

  it('reports an ID past imap.idBytes, forwards it and keeps the session, without identifying the client', () => {
    for (const split of [whole, pieces(1000)]) {
      const session = new Session().client(id(DEFAULTS.idBytes), split);
      assert.deepEqual(session.hits, [{ side: 'client', limit: 'imap.idBytes', value: 8 * 1024 }]);
      assert.deepEqual(session.clientIds, []);
      assert.equal(session.serverText, id(DEFAULTS.idBytes));
      assert.equal(session.closes.length, 0);
      session.client('n NOOP\r\n');
      assert.ok(session.serverText.endsWith('n NOOP\r\n'));
    }
  });

  it('counts ID literals: reported once, however many chunks go past the limit', () => {
    const session = new Session({ idBytes: 64 }).client(`i ID ("name" {100+}\r\n${'L'.repeat(100)})\r\n`, pieces(10));
    assert.deepEqual(session.hits, [{ side: 'client', limit: 'imap.idBytes', value: 64 }]);
    assert.deepEqual(session.clientIds, []);
    assert.equal(session.closes.length, 0);
  });

  it('refuses an AUTHENTICATE response past imap.saslResponseBytes; a command line that long is fine', () => {
    const response = `${'A'.repeat(300)}\r\n`;
    const session = new Session({ saslResponseBytes: 200 }).client('a AUTHENTICATE PLAIN\r\n').server('+ \r\n').client(response, pieces(50));
    assert.deepEqual(session.hits, [{ side: 'client', limit: 'imap.saslResponseBytes', value: 200 }]);
    assert.equal(session.serverText, 'a AUTHENTICATE PLAIN\r\n');
    assert.equal(session.clientText, `${GREETING}+ \r\n${bye('authentication response too long')}`);
    assert.equal(session.closes.length, 1);
    const command = `b NOOP ${'A'.repeat(300)}\r\n`;
    assert.equal(new Session({ saslResponseBytes: 200 }).client(command).serverText, command);
  });

  it('uses the default 1 MiB for AUTHENTICATE responses', () => {
    const session = new Session()
      .client('a AUTHENTICATE PLAIN\r\n')
      .server('+ \r\n')
      .client(Buffer.alloc(DEFAULTS.saslResponseBytes + 1, 0x41), pieces(64 * 1024));
    assert.deepEqual(session.hits, [{ side: 'client', limit: 'imap.saslResponseBytes', value: 1024 * 1024 }]);
  });
});
