// Issue #15: the bytes delivered to the client do not depend on how the server's bytes arrive. The real
// delivery path — IMAP and POP3 engine, session core, BodySpool (spilling to a temp dir or held in
// memory), the scan pipeline with the builtin engine evaluating in this thread, the OrderedWriter — is
// fed each corpus message whole, byte by byte (small messages), in seeded random splits and in one-byte
// pieces around every literal / dot boundary, with bodies held in memory and spilled; every delivery
// must equal the whole-arrival, in-memory one. The only stand-ins are the two ends: a scripted server
// that answers each command once it has arrived, and a Writable that records what the client receives.
// Checked to fail (locally, not committed): a one-byte flip in BodySpool's file path, or in its shared-memory
// path for mid-sized chunks, is reported as a difference at the first random-split run.
// The same holds for a second fetch of the corpus in the same session with the account's store: the
// messages found clean the first time are passed through unscanned then, and the client gets the same bytes.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { configSchema, type Config } from '../../../src/config/schema.js';
import { DotStuffer } from '../../../src/pop3/dot-stuffing.js';
import type { Protocol } from '../../../src/protocol/engine.js';
import { memoryLimits } from '../../../src/protocol/limits.js';
import { ProcessMemory } from '../../../src/protocol/memory-budget.js';
import { SessionCore } from '../../../src/protocol/session-core.js';
import type { ServerSink, SessionScanner } from '../../../src/protocol/session-ports.js';
import { AccountScannedCopies } from '../../../src/proxy/account-scanned-copies.js';
import { BodySpool, nodeSpoolFiles, spoolCounters } from '../../../src/proxy/body-spool.js';
import { createEngine } from '../../../src/proxy/engine-factory.js';
import { OrderedWriter } from '../../../src/proxy/ordered-writer.js';
import { INBOXGUARD_VERSION } from '../../../src/version.js';
import { createScanSetup, type ScanSetup } from '../../../src/scan/create-pipeline.js';
import { bytewise, randomSplits, whole, type Chunker } from '../imap/harness.js';
import { base64Lines } from '../../helpers/messages.js';
import { EICAR_SIGNATURE, scanCorpus, type CorpusMessage } from '../../helpers/scan-corpus.js';

/** Small enough that every corpus body spills to its file (BodySpool keeps at most this much in memory). */
const SPILLING_BUFFER_BYTES = 64;
/** [seed, largest piece]: mid-sized pieces, one run of tiny ones, one of pieces that span several replies. */
const SEEDS: [number, number][] = [
  [1, 97],
  [7, 97],
  [1234, 97],
  [5, 5],
  [42, 4096],
];
/** For bodies beyond LARGE_BYTES (many reads and segments): pieces too big to take a one-byte crawl. */
const LARGE_SEEDS: [number, number][] = [
  [1, 1500],
  [7, 16 * 1024],
  [42, 256 * 1024],
];
const LARGE_BYTES = 64 * 1024;
/** Bytes on either side of a boundary that arrive one at a time. */
const BOUNDARY_WINDOW = 4;

/** One command the scripted server expects, and its reply. */
interface Exchange {
  command: string;
  reply: Buffer;
}

/** What the client writes at once, and what the server answers to each command in it. */
interface Step {
  write: string;
  exchanges: Exchange[];
  /** The client waits for this tagged line of the step before the next step (a client that reads before it asks again). */
  awaitClient?: string;
}

interface Script {
  greeting: Buffer;
  steps: Step[];
  /** Offsets into the concatenated server replies (greeting excluded) where a body or a line around it starts or ends. */
  boundaries: number[];
}

const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');

/** Collects boundaries while the server stream is assembled. */
class StreamBuilder {
  readonly boundaries: number[] = [];
  private length = 0;
  get offset(): number {
    return this.length;
  }
  add(bytes: Buffer, boundary = false): Buffer {
    if (boundary) this.boundaries.push(this.length);
    this.length += bytes.length;
    return bytes;
  }
  mark(): void {
    this.boundaries.push(this.length);
  }
}

/** `fetches` 2: the mailbox is fetched once, and once more after the client has had all of it. */
function imapScript(messages: Buffer[], fetches: 1 | 2 = 1): Script {
  const stream = new StreamBuilder();
  const login = stream.add(ascii('a1 OK logged in\r\n'));
  const select = stream.add(ascii('* 3 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\na2 OK [READ-WRITE] done\r\n'));
  const fetchReply = (tag: string): Buffer => {
    const fetch: Buffer[] = [];
    messages.forEach((message, index) => {
      const header = `* ${index + 1} FETCH (UID ${index + 1} BODY[] {${message.length}}\r\n`;
      stream.boundaries.push(stream.offset + header.indexOf('{'));
      fetch.push(stream.add(ascii(header), true));
      stream.mark();
      fetch.push(stream.add(message));
      stream.mark();
      fetch.push(stream.add(ascii(')\r\n')));
    });
    stream.mark();
    fetch.push(stream.add(ascii(`${tag} OK fetch done\r\n`)));
    return Buffer.concat(fetch);
  };
  const fetchSteps: Step[] = [];
  if (fetches === 2) fetchSteps.push({ write: 'a0 UID FETCH 1:* (BODY.PEEK[])\r\n', exchanges: [{ command: 'a0 UID FETCH 1:* (BODY.PEEK[])', reply: fetchReply('a0') }], awaitClient: 'a0 OK' });
  const fetch = fetchReply('a3');
  const logout = stream.add(ascii('* BYE logging out\r\na4 OK done\r\n'), true);
  return {
    greeting: ascii('* OK [CAPABILITY IMAP4rev1] ready\r\n'),
    steps: [
      { write: 'a1 LOGIN alice secret\r\n', exchanges: [{ command: 'a1 LOGIN alice secret', reply: login }] },
      { write: 'a2 SELECT INBOX\r\n', exchanges: [{ command: 'a2 SELECT INBOX', reply: select }] },
      ...fetchSteps,
      {
        write: 'a3 UID FETCH 1:* (BODY.PEEK[])\r\na4 LOGOUT\r\n',
        exchanges: [
          { command: 'a3 UID FETCH 1:* (BODY.PEEK[])', reply: fetch },
          { command: 'a4 LOGOUT', reply: logout },
        ],
      },
    ],
    boundaries: stream.boundaries,
  };
}

function pop3Script(messages: Buffer[]): Script {
  const stream = new StreamBuilder();
  const user = stream.add(ascii('+OK send PASS\r\n'));
  const pass = stream.add(ascii('+OK logged in\r\n'));
  const exchanges: Exchange[] = messages.map((message, index) => {
    const stuffer = new DotStuffer();
    const head = stream.add(ascii(`+OK ${message.length} octets\r\n`), true);
    stream.mark();
    const body = Buffer.concat([stuffer.push(message), stuffer.end()]);
    // Every line that starts with a dot on the wire.
    for (let hit = body.indexOf('\n.'); hit !== -1; hit = body.indexOf('\n.', hit + 1)) stream.boundaries.push(stream.offset + hit + 1);
    stream.add(body);
    const end = stream.add(ascii('.\r\n'), true);
    return { command: `RETR ${index + 1}`, reply: Buffer.concat([head, body, end]) };
  });
  const quit = stream.add(ascii('+OK bye\r\n'), true);
  const retrieve = messages.map((_, index) => `RETR ${index + 1}\r\n`).join('');
  return {
    greeting: ascii('+OK POP3 ready\r\n'),
    steps: [
      { write: 'USER alice\r\n', exchanges: [{ command: 'USER alice', reply: user }] },
      { write: 'PASS secret\r\n', exchanges: [{ command: 'PASS secret', reply: pass }] },
      { write: `${retrieve}QUIT\r\n`, exchanges: [...exchanges, { command: 'QUIT', reply: quit }] },
    ],
    boundaries: stream.boundaries,
  };
}

/** One-byte pieces within BOUNDARY_WINDOW of every boundary, the rest as it comes. */
function aroundBoundaries(boundaries: number[]): (offset: number) => Chunker {
  return (offset) => (data) => {
    const cuts = new Set<number>();
    for (const boundary of boundaries) {
      for (let at = boundary - BOUNDARY_WINDOW; at <= boundary + BOUNDARY_WINDOW; at++) if (at - offset > 0 && at - offset < data.length) cuts.add(at - offset);
    }
    const sorted = [...cuts].sort((a, b) => a - b);
    const chunks: Buffer[] = [];
    let from = 0;
    for (const cut of sorted) {
      chunks.push(data.subarray(from, cut));
      from = cut;
    }
    chunks.push(data.subarray(from));
    return chunks;
  };
}

/** The scripted server: a reply is released once its command has arrived, in order. */
class ScriptedServer implements ServerSink {
  readonly pendingBytes = 0;
  private received = '';
  private exchanges: Exchange[] = [];
  released: Buffer[] = [];

  expect(exchanges: Exchange[]): void {
    this.exchanges = [...exchanges];
  }

  write(bytes: Buffer): void {
    this.received += bytes.toString('latin1');
    for (let end = this.received.indexOf('\r\n'); end !== -1; end = this.received.indexOf('\r\n')) {
      const line = this.received.slice(0, end);
      this.received = this.received.slice(end + 2);
      const next = this.exchanges.shift();
      assert.ok(next, `the server got an unexpected command: ${line}`);
      assert.equal(line, next.command);
      this.released.push(next.reply);
    }
  }

  commit(bytes: Buffer): void {
    this.write(bytes);
  }

  stop(): void {}

  get waiting(): number {
    return this.exchanges.length;
  }
}

interface Run {
  protocol: Protocol;
  script: Script;
  setup: ScanSetup;
  config: Config;
  /** Chunks the replies of one step; `offset` is where they start in the server stream. */
  chunker: (offset: number) => Chunker;
  /** IMAP: the account's store of copies and clean records (the proxy's; a fresh one per delivery). */
  accountStore?: boolean;
}

interface Delivery {
  bytes: Buffer;
  spills: number;
  /** Bodies passed through unscanned as known clean (with accountStore). */
  cleanReused: number;
}

/** Turns the scan pipeline's promise into the core's answer callbacks, as the proxy's engine relay does. */
function pipelineScanner(setup: ScanSetup): SessionScanner {
  const { pipeline } = setup;
  return {
    scan: (_bodyId, body, context, answer) => {
      pipeline.scan(body, context).then(
        (result) => answer.verdict(result),
        (error: unknown) => answer.failed(error),
      );
    },
    timedOut: (body, context) => pipeline.timedOut(body, context),
    lost: (context, reason) => pipeline.lost(context, reason),
  };
}

let spoolRoot: string;

async function deliver(run: Run): Promise<Delivery> {
  const { config, script } = run;
  const received: Buffer[] = [];
  let clientSocket!: Writable;
  const clientEnded = new Promise<void>((resolve) => {
    const socket = new Writable({
      write(chunk: Buffer, _encoding, done) {
        received.push(Buffer.from(chunk));
        done();
      },
    });
    // As a socket's 'close' after the proxy ended it.
    socket.on('finish', () => {
      resolve();
      core?.clientDisconnected('client closed the connection');
    });
    clientSocket = socket;
  });
  let core: SessionCore | undefined;
  let ended: string | undefined;
  let fault: unknown;
  const reading = { server: true, client: true };
  const server = new ScriptedServer();
  const limits = memoryLimits(config.scan.memoryBufferBytes);
  const memory = new ProcessMemory().openSession(limits);
  const spillsBefore = spoolCounters.spills;
  const copies = run.accountStore ? await AccountScannedCopies.open({ maxBytes: 0, memoryBytes: 0, dir: join(spoolRoot, '..', `copies-${++storeCount}`) }) : undefined;
  const clientWriter = new OrderedWriter(
    clientSocket,
    (error) => (fault ??= error),
    () => core?.flowChanged(),
  );
  core = new SessionCore({
    engine: createEngine(run.protocol, config, true, 'differential', copies?.forUpstream('differential:993')),
    client: clientWriter,
    server,
    legs: {
      setReading: (side, on) => (reading[side] = on),
      endServer() {},
      abortServer() {},
      endClient: () => clientSocket.end(),
    },
    scanner: pipelineScanner(run.setup),
    openSpool: (announcedSize) =>
      new BodySpool(config.scan.memoryBufferBytes, { memory, unspillableBytes: limits.unspillableBodyBytes, announcedSize, files: { ...nodeSpoolFiles, makeDir: () => mkdtemp(join(spoolRoot, 'body-')) } }),
    memory,
    // No timer fires: a slow scan on a loaded machine must not turn into a scan.onError delivery.
    timers: { after: () => ({ cancel() {} }) },
    encoders: { 'pop3-dot-stuffed': () => new DotStuffer() },
    log: { debug() {}, info() {}, warn() {}, error() {} },
    onEnd: (reason) => (ended = reason),
    onFault: (stage, error) => (fault ??= new Error(`fault in ${stage}`, { cause: error })),
  });
  const session = core;
  /** Gives the event loop turns (spool files, scans) until `done`, failing rather than hanging. */
  const until = async (done: () => boolean, what: string): Promise<void> => {
    for (let turns = 0; !done(); turns++) {
      if (fault) throw fault;
      assert.ok(turns < 200_000, `stuck waiting for ${what}`);
      await nextTurn();
    }
  };

  session.start(script.greeting, Buffer.alloc(0));
  let offset = 0;
  for (const step of script.steps) {
    server.expect(step.exchanges);
    session.fromClient(ascii(step.write));
    const replies = Buffer.concat(step.exchanges.map((exchange) => exchange.reply));
    let releasedBytes = 0;
    const releasedUpTo = (): number => {
      releasedBytes += server.released.splice(0).reduce((sum, reply) => sum + reply.length, 0);
      return releasedBytes;
    };
    let at = 0;
    for (const chunk of run.chunker(offset)(replies)) {
      const chunkEnd = at + chunk.length;
      while (at < chunkEnd) {
        // A reply goes out only once its command reached the server, and only while the core reads.
        await until(() => reading.server && releasedUpTo() > at, `the server's turn at byte ${offset + at}`);
        const end = Math.min(chunkEnd, releasedUpTo());
        session.fromServer(replies.subarray(at, end));
        at = end;
      }
    }
    assert.equal(server.waiting, 0);
    offset += replies.length;
    const awaited = step.awaitClient;
    if (awaited !== undefined) await until(() => Buffer.concat(received).includes(awaited), `the client to get "${awaited}"`);
  }
  session.serverClosed('upstream closed the connection');
  await until(() => ended !== undefined, 'the session to end');
  await clientEnded;
  if (fault) throw fault;
  const cleanReused = copies?.stats.cleanReused ?? 0;
  await copies?.close();
  return { bytes: Buffer.concat(received), spills: spoolCounters.spills - spillsBefore, cleanReused };
}

let storeCount = 0;

/** Where two deliveries first differ, for a message that says more than "not equal". */
function firstDifference(actual: Buffer, expected: Buffer): string | undefined {
  if (actual.equals(expected)) return undefined;
  let at = 0;
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++;
  const around = (bytes: Buffer) => JSON.stringify(bytes.subarray(Math.max(0, at - 20), at + 20).toString('latin1'));
  return `first difference at byte ${at} of ${expected.length} (got ${actual.length}): expected …${around(expected)}…, got …${around(actual)}…`;
}

/** What a relay that changes nothing delivers: the greeting and every reply, as the server sent them. */
function transcript(script: Script): Buffer {
  return Buffer.concat([script.greeting, ...script.steps.flatMap((step) => step.exchanges.map((exchange) => exchange.reply))]);
}

describe('delivered bytes do not depend on how the server’s bytes arrive (issue #15)', () => {
  const corpus = scanCorpus();
  const named = (name: string): CorpusMessage => corpus.find((entry) => entry.name === name)!;
  const inMemory = configSchema.parse({});
  const spilling = configSchema.parse({ scan: { memoryBufferBytes: SPILLING_BUFFER_BYTES } });
  let dataDir: string;
  let setup: ScanSetup;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'inboxguard-differential-'));
    spoolRoot = join(dataDir, 'spool');
    await mkdir(spoolRoot, { mode: 0o700 });
    setup = await createScanSetup(inMemory, join(dataDir, 'data'));
  });
  after(async () => {
    await setup.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Every chunking and both spool modes against the whole-arrival, in-memory reference; returns the reference. */
  async function assertSameEverywhere(protocol: Protocol, messages: Buffer[], small: boolean): Promise<{ reference: Buffer; original: Buffer }> {
    const script = protocol === 'imap' ? imapScript(messages) : pop3Script(messages);
    assert.ok(script.boundaries.length >= 3 * messages.length, 'every body has its boundaries listed');
    const reference = await deliver({ protocol, script, setup, config: inMemory, chunker: () => whole });
    assert.equal(reference.spills, 0, 'the reference keeps its bodies in memory');
    const chunkings: [string, (offset: number) => Chunker][] = [
      ['whole', () => whole],
      ...(messages.some((message) => message.length > LARGE_BYTES) ? LARGE_SEEDS : SEEDS).map(([seed, maxPiece]): [string, (offset: number) => Chunker] => [`random splits (seed ${seed}, pieces up to ${maxPiece})`, () => randomSplits(seed, maxPiece)]),
      ['one byte at a time around every boundary', aroundBoundaries(script.boundaries)],
      ...(small ? [['byte by byte', () => bytewise] as [string, (offset: number) => Chunker]] : []),
    ];
    for (const [label, chunker] of chunkings) {
      for (const [mode, config] of [
        ['in memory', inMemory],
        ['spilled', spilling],
      ] as const) {
        if (label === 'whole' && mode === 'in memory') continue;
        const delivery = await deliver({ protocol, script, setup, config, chunker });
        if (mode === 'spilled') assert.ok(delivery.spills >= messages.length, `${label}: every body spilled (${delivery.spills})`);
        else assert.equal(delivery.spills, 0, `${label}: nothing spilled`);
        const difference = firstDifference(delivery.bytes, reference.bytes);
        assert.equal(difference, undefined, `${protocol}, ${label}, ${mode}: ${difference}`);
      }
    }
    return { reference: reference.bytes, original: transcript(script) };
  }

  it('notices a one-byte change (sanity of the comparison)', () => {
    const expected = transcript(imapScript([corpus[0].bytes]));
    const altered = Buffer.from(expected);
    altered[expected.length - 40] ^= 1;
    assert.match(firstDifference(altered, expected) ?? '', new RegExp(`first difference at byte ${expected.length - 40} `));
    assert.match(firstDifference(expected.subarray(0, -1), expected) ?? '', /got/);
  });

  for (const protocol of ['imap', 'pop3'] as const) {
    for (const message of corpus) {
      it(`${protocol}: ${message.name}`, async () => {
        const { reference, original } = await assertSameEverywhere(protocol, [message.bytes], message.small);
        assertVerdict(message, reference, original);
      });
    }

    it(`${protocol}: three messages pipelined in one client write (${protocol === 'imap' ? 'UID FETCH 1:* then LOGOUT' : 'RETR 1, RETR 2, QUIT'})`, async () => {
      const picked = ['clean base64 attachment', 'EICAR in a zip', 'lines starting with "."'].map((name) => named(name).bytes);
      const { reference, original } = await assertSameEverywhere(protocol, protocol === 'imap' ? picked : picked.slice(0, 2), false);
      assert.equal(reference.length, original.length, 'the stripped body kept its size');
      assert.ok(!reference.equals(original), 'the infected one was rewritten');
    });
  }

  // Found by this test: the size-keeping replacement of a single-part message used to pad up to the very
  // end, so it no longer ended with CRLF; POP3 then completed the line before ".\r\n" and the client got
  // 2 bytes more than "+OK n octets" announced.
  it('pop3: a rewritten single-part message is delivered with the size the server announced', async () => {
    const { reference, original } = await assertSameEverywhere('pop3', [named(TINY_SINGLE_PART).bytes], true);
    assert.equal(reference.length, original.length);
    assert.ok(reference.subarray(-2).equals(Buffer.from('\r\n')), 'it still ends with its line break');
  });

  it('imap: the corpus fetched again in the same session with the account’s store: clean messages pass unscanned, the client gets the same bytes', async () => {
    const messages = corpus.filter((entry) => entry.bytes.length <= LARGE_BYTES).map((entry) => entry.bytes);
    const script = imapScript(messages, 2);
    const cleanCount = corpus.filter((entry) => entry.bytes.length <= LARGE_BYTES && !/EICAR|zip/.test(entry.name)).length;
    const reference = await deliver({ protocol: 'imap', script, setup, config: inMemory, chunker: () => whole, accountStore: true });
    assert.ok(reference.cleanReused > 0 && reference.cleanReused <= cleanCount, `messages passed unscanned the second time: ${reference.cleanReused} of ${cleanCount} clean ones`);
    const text = reference.bytes.toString('latin1');
    const first = text.slice(text.indexOf('* 1 FETCH'), text.indexOf('a0 OK'));
    const second = text.slice(text.indexOf('* 1 FETCH', text.indexOf('a0 OK')), text.indexOf('a3 OK'));
    assert.equal(second, first, 'the second fetch delivers what the first did');
    const without = await deliver({ protocol: 'imap', script, setup, config: inMemory, chunker: () => whole });
    assert.equal(firstDifference(reference.bytes, without.bytes), undefined, 'the same as without the store (every fetch scanned)');
    for (const [label, chunker] of [...SEEDS.map(([seed, maxPiece]): [string, (offset: number) => Chunker] => [`random splits (seed ${seed}, pieces up to ${maxPiece})`, () => randomSplits(seed, maxPiece)]), ['one byte at a time around every boundary', aroundBoundaries(script.boundaries)] as [string, (offset: number) => Chunker]]) {
      for (const [mode, config] of [
        ['in memory', inMemory],
        ['spilled', spilling],
      ] as const) {
        const delivery = await deliver({ protocol: 'imap', script, setup, config, chunker, accountStore: true });
        assert.equal(delivery.cleanReused, reference.cleanReused, `${label}, ${mode}: the same messages passed unscanned`);
        const difference = firstDifference(delivery.bytes, reference.bytes);
        assert.equal(difference, undefined, `${label}, ${mode}: ${difference}`);
      }
    }
  });

  it('left no spool file behind', async () => {
    for (let turn = 0; turn < 100 && (await readdir(spoolRoot)).length > 0; turn++) await nextTurn();
    assert.deepEqual(await readdir(spoolRoot), []);
  });
});

const TINY_SINGLE_PART = 'EICAR as the body of a tiny single-part message';

/** What tells the client why, today: the X-InboxGuard header when the size leaves room for it, else the part's notice alone. */
const NOTICES: Record<string, string> = {
  'EICAR plain (base64 attachment)': 'inboxguard removed this part: Eicar-Test-Signature (builtin). Quarantine: q-',
  [TINY_SINGLE_PART]: 'Removed by inboxguard: q-',
  'EICAR next to a 400 KiB attachment': 'inboxguard removed this part: Eicar-Test-Signature (builtin). Quarantine: q-',
  'EICAR in a zip': `X-InboxGuard: infected; engine=builtin; version=${INBOXGUARD_VERSION}; action=strip`,
  'EICAR in a nested zip': `X-InboxGuard: infected; engine=builtin; version=${INBOXGUARD_VERSION}; action=strip`,
  'over-ratio zip (bomb)': `X-InboxGuard: archive-limit; engine=builtin; version=${INBOXGUARD_VERSION}; action=strip`,
  'EICAR with bare LF line endings': 'Removed by inboxguard: q-',
};

/** The verdicts and actions of today, as the client sees them. */
function assertVerdict(message: CorpusMessage, delivered: Buffer, original: Buffer): void {
  const infected = /EICAR|zip/.test(message.name);
  if (!infected) {
    // Malformed structure and broken base64 are delivered as they are, like clean mail.
    assert.ok(delivered.equals(original), `${message.name}: delivered byte for byte: ${firstDifference(delivered, original)}`);
    return;
  }
  assert.notEqual(firstDifference(delivered, original), undefined, `${message.name}: rewritten`);
  assert.equal(delivered.length, original.length, `${message.name}: the rewrite kept the size`);
  if (message.name.includes('EICAR')) assert.ok(!delivered.includes(EICAR_SIGNATURE) && !delivered.includes(base64Lines(EICAR_SIGNATURE).trimEnd()), `${message.name}: no EICAR left`);
  const notice = NOTICES[message.name];
  assert.ok(notice, `${message.name}: an expected notice is listed`);
  assert.ok(delivered.includes(notice), `${message.name}: says "${notice}"`);
}
