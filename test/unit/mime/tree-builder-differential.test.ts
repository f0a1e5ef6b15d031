// Issue #15: the MIME walk fed in chunks builds the same tree as the walk of the whole message — every
// node (kind, IMAP path, header and body ranges, header fields, what the header says, problems), the
// tree's problems and the work counters — at every chunking: one chunk, 64 KiB, seeded random splits
// and byte by byte, over every message the suite builds or ships, the hostile cases, and a seeded
// generator of messy MIME, under the default limits and under small ones.
// Checked to fail (locally, not committed): keeping one byte less before a "\n--" hit in the body search
// is reported at the first random-split run (seed 1) of the corpus, the hostile cases and the generator;
// telling of a leaf when it is created instead of when it ends fails the early-leaf tests.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTree, TreeBuilder, type MimeNode, type MimeTree } from '../../../src/mime/tree.js';
import { DEFAULT_WALK_LIMITS, resolveWalkLimits, type WalkLimits } from '../../../src/mime/types.js';
import { bigMessage, mixedMailbox, nestedAlternative, plainText, prng, utf8Message, withAttachments, dotLines } from '../../helpers/messages.js';
import { scanCorpus } from '../../helpers/scan-corpus.js';
import { hugeHeader, manyParts, nestedMixed, nestedMultipart, nestedRfc822 } from '../../helpers/hostile-mime.js';
import { fixtureMessages } from '../../fixtures/imap/messages.js';
import { MESSAGES as POP3_MESSAGES } from '../../fixtures/pop3/messages.js';
import { richMessage } from './messages.js';
import { randomMime } from './random-mime.js';

type Chunking = { name: string; chunks: (bytes: Buffer) => Buffer[] };

function bySize(size: number): (bytes: Buffer) => Buffer[] {
  return (bytes) => {
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
    return chunks;
  };
}

function randomSplits(seed: number, largest: number): (bytes: Buffer) => Buffer[] {
  return (bytes) => {
    const random = prng(seed);
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; ) {
      const size = 1 + Math.floor(random() * largest);
      chunks.push(bytes.subarray(at, at + size));
      at += size;
    }
    return chunks;
  };
}

const CHUNKINGS: Chunking[] = [
  { name: 'one chunk', chunks: (bytes) => [bytes] },
  { name: '64 KiB', chunks: bySize(64 * 1024) },
  { name: 'random splits (seed 1, up to 7 bytes)', chunks: randomSplits(1, 7) },
  { name: 'random splits (seed 2, up to 300 bytes)', chunks: randomSplits(2, 300) },
  { name: 'random splits (seed 3, up to 5000 bytes)', chunks: randomSplits(3, 5000) },
];
const BYTEWISE: Chunking = { name: 'byte by byte', chunks: bySize(1) };
const SMALL = 64 * 1024;

const SMALL_LIMITS: WalkLimits = { maxDepth: 3, maxParts: 6, maxHeaderLines: 4, maxHeaderBytes: 90 };

/** A tree as plain data: parents as node indexes, boundaries as text. */
function comparable(tree: MimeTree): unknown {
  const index = new Map(tree.nodes.map((node, at) => [node, at]));
  return {
    nodes: tree.nodes.map((node) => ({
      path: node.path,
      kind: node.kind,
      parent: node.parent === undefined ? -1 : index.get(node.parent),
      children: node.children.map((child) => index.get(child)),
      isMessageRoot: node.isMessageRoot,
      depth: node.depth,
      headerRange: node.headerRange,
      bodyRange: node.bodyRange,
      fields: node.fields,
      info: { ...node.info, boundary: node.info.boundary?.toString('latin1') },
      problems: node.problems,
    })),
    root: index.get(tree.root),
    problems: tree.problems,
    work: tree.work,
  };
}

function fedInChunks(chunks: Buffer[], limits: WalkLimits): MimeTree {
  const builder = new TreeBuilder(limits);
  for (const chunk of chunks) {
    // The builder must not keep a view of a chunk: the caller reuses it (as a read buffer would).
    const reused = Buffer.from(chunk);
    builder.feed(reused);
    reused.fill(0x7e);
  }
  return builder.end();
}

function assertSameTrees(name: string, bytes: Buffer, chunkings: readonly Chunking[], limits: WalkLimits): void {
  const expected = comparable(buildTree(bytes, limits));
  for (const chunking of chunkings) {
    assert.deepStrictEqual(comparable(fedInChunks(chunking.chunks(bytes), limits)), expected, `${name}, ${chunking.name}`);
  }
}

function corpus(): { name: string; bytes: Buffer }[] {
  const messages = [
    ...scanCorpus().map(({ name, bytes }) => ({ name, bytes })),
    { name: 'plain text', bytes: plainText({ seed: 3, lines: 40 }) },
    { name: 'attachments', bytes: withAttachments({ seed: 4 }) },
    { name: 'nested alternative', bytes: nestedAlternative({ seed: 5 }) },
    { name: 'UTF-8', bytes: utf8Message({ seed: 6 }) },
    { name: 'dot lines', bytes: dotLines({ seed: 7 }) },
    { name: 'big text', bytes: bigMessage(300 * 1024, { seed: 8, kind: 'text' }) },
    { name: 'rich (uuencode, nested, digest)', bytes: richMessage() },
    ...mixedMailbox(12, 9).map((bytes, at) => ({ name: `mixed mailbox #${at}`, bytes })),
    ...fixtureMessages().map((bytes, at) => ({ name: `IMAP fixture #${at}`, bytes })),
    ...POP3_MESSAGES.map((message, at) => ({ name: `POP3 fixture #${at}`, bytes: message.content })),
  ];
  return messages;
}

function hostile(): { name: string; bytes: Buffer }[] {
  const crlf = (text: string) => Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1');
  return [
    { name: 'nested multipart beyond the depth limit', bytes: nestedMultipart(80) },
    { name: 'nested message/rfc822 beyond the depth limit', bytes: nestedRfc822(80) },
    { name: 'nested mixed', bytes: nestedMixed(80) },
    { name: 'many parts', bytes: manyParts(40) },
    { name: 'huge header', bytes: hugeHeader(300) },
    { name: 'empty message', bytes: Buffer.alloc(0) },
    { name: 'header without a body', bytes: crlf('Subject: x\n') },
    { name: 'header without its final line break', bytes: Buffer.from('Subject: x', 'latin1') },
    { name: 'missing closing boundary', bytes: crlf('Content-Type: multipart/mixed; boundary="b"\n\n--b\n\nA\n--b\n\nB\n') },
    { name: 'boundary never found', bytes: crlf('Content-Type: multipart/mixed; boundary="b"\n\nno parts here\n') },
    { name: 'no boundary parameter', bytes: crlf('Content-Type: multipart/mixed\n\n--b\n\nA\n--b--\n') },
    {
      name: 'inner multipart closed by an outer delimiter',
      bytes: crlf('Content-Type: multipart/mixed; boundary="out"\n\n--out\nContent-Type: multipart/mixed; boundary="in"\n\n--in\n\nA\n--out\n\nB\n--out--\n'),
    },
    { name: 'boundaries prefixing each other', bytes: crlf('Content-Type: multipart/mixed; boundary="a"\n\n--a\nContent-Type: multipart/mixed; boundary="ab"\n\n--ab\n\nx\n--abc\n\ny\n--ab--\n--a--\n') },
    { name: 'delimiter ends a header', bytes: crlf('Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n--b\n\nsecond\n--b--\n') },
    { name: 'delimiter right after an empty header', bytes: crlf('Content-Type: multipart/mixed; boundary="b"\n\n--b\n\n--b\n\nx\n--b--\n') },
    { name: 'NUL in a header', bytes: Buffer.from('Subject: a\u0000b\r\nContent-Type: text/plain\r\n\r\nbody\r\n', 'latin1') },
    { name: 'bare LF multipart', bytes: Buffer.from('Content-Type: multipart/mixed; boundary="b"\n\n--b\n\nA\n--b\n\nB\n--b--\n', 'latin1') },
    { name: 'CR-only lines', bytes: Buffer.from('Content-Type: multipart/mixed; boundary="b"\r\r--b\r\rA\r--b--\r', 'latin1') },
    { name: 'a line of 200,000 bytes', bytes: crlf(`Content-Type: multipart/mixed; boundary="b"\n\n--b\n\n${'y'.repeat(200_000)}\n--b--\n`) },
    { name: 'a header line of 200,000 bytes', bytes: crlf(`X-Long: ${'h'.repeat(200_000)}\nContent-Type: text/plain\n\nbody\n`) },
    { name: 'a boundary of 70 bytes', bytes: crlf(`Content-Type: multipart/mixed; boundary="${'q'.repeat(70)}"\n\n--${'q'.repeat(70)}\n\nA\n--${'q'.repeat(70)}--\n`) },
    {
      name: 'digest of messages',
      bytes: crlf('Content-Type: multipart/digest; boundary="d"\n\n--d\n\nSubject: one\n\nfirst\n--d\nContent-Type: text/plain\n\nsecond\n--d--\n'),
    },
  ];
}

describe('TreeBuilder fed in chunks builds the tree buildTree builds from the whole message', () => {
  it('over the corpus the tests build and ship, at every chunking (byte by byte for small messages)', () => {
    for (const { name, bytes } of corpus()) assertSameTrees(name, bytes, bytes.length <= SMALL ? [...CHUNKINGS, BYTEWISE] : CHUNKINGS, DEFAULT_WALK_LIMITS);
  });

  it('over malformed and hostile messages, under the default limits and small ones', () => {
    for (const { name, bytes } of hostile()) {
      const chunkings = bytes.length <= SMALL ? [...CHUNKINGS, BYTEWISE] : CHUNKINGS;
      assertSameTrees(name, bytes, chunkings, DEFAULT_WALK_LIMITS);
      assertSameTrees(`${name} (small limits)`, bytes, chunkings, SMALL_LIMITS);
    }
  });

  it('over 300 generated messy messages (seeded), under the default limits and small ones', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const bytes = randomMime(seed);
      const chunkings = [...CHUNKINGS, BYTEWISE];
      assertSameTrees(`generated #${seed}`, bytes, chunkings, DEFAULT_WALK_LIMITS);
      assertSameTrees(`generated #${seed} (small limits)`, bytes, chunkings, SMALL_LIMITS);
    }
  });

  it('a header over maxHeaderBytes is read the same way when it arrives in pieces', () => {
    const limits = resolveWalkLimits({ maxHeaderBytes: 1000 });
    const bytes = Buffer.from(`${'X-Filler: abcdefgh\r\n'.repeat(200)}Content-Type: text/plain\r\n\r\nbody\r\n`, 'latin1');
    assertSameTrees('large header', bytes, [...CHUNKINGS, BYTEWISE], limits);
  });
});

describe('TreeBuilder holds the unfinished line and the header being read, never a body', () => {
  function largestHeld(bytes: Buffer, chunkSize: number, limits: WalkLimits = DEFAULT_WALK_LIMITS): number {
    const builder = new TreeBuilder(limits);
    let largest = 0;
    for (const chunk of bySize(chunkSize)(bytes)) {
      builder.feed(chunk);
      largest = Math.max(largest, builder.heldBytes);
    }
    builder.end();
    return largest;
  }

  it('a 4 MiB base64 attachment in 64 KiB chunks: a few bytes held between chunks', () => {
    const bytes = bigMessage(4 * 1024 * 1024, { seed: 11 });
    assert.ok(largestHeld(bytes, 64 * 1024) < 200, `${largestHeld(bytes, 64 * 1024)} bytes held`);
  });

  it('a single 2 MB line inside a multipart is not held', () => {
    const bytes = Buffer.from(`Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\n${'z'.repeat(2_000_000)}\r\n--b--\r\n`, 'latin1');
    assert.ok(largestHeld(bytes, 4096) < 200);
  });

  it('a header larger than maxHeaderBytes: only what the field split reads is kept', () => {
    const limits = resolveWalkLimits({ maxHeaderBytes: 10_000 });
    const bytes = Buffer.from(`${'X-Filler: abcdefgh\r\n'.repeat(50_000)}Content-Type: text/plain\r\n\r\nbody\r\n`, 'latin1');
    assert.ok(largestHeld(bytes, 4096, limits) <= 10_002 + 4096, `${largestHeld(bytes, 4096, limits)}`);
  });
});

describe('TreeBuilder tells of each leaf once its end has arrived, with what the finished tree says of it', () => {
  interface Early {
    node: MimeNode;
    snapshot: unknown;
    fedBefore: number;
  }
  const snapshot = (node: MimeNode) => structuredClone({ path: node.path, kind: node.kind, headerRange: node.headerRange, bodyRange: node.bodyRange, fields: node.fields, problems: node.problems });

  function checkEarlyLeaves(name: string, bytes: Buffer, chunks: Buffer[], limits: WalkLimits): number {
    const early: Early[] = [];
    let fed = 0;
    const builder = new TreeBuilder(limits, { onLeaf: (node) => early.push({ node, snapshot: snapshot(node), fedBefore: fed }) });
    for (const chunk of chunks) {
      fed += chunk.length;
      builder.feed(chunk);
    }
    const tree = builder.end();
    const reported = new Set(early.map((entry) => entry.node));
    assert.equal(reported.size, early.length, `${name}: a leaf told of twice`);
    for (const entry of early) {
      assert.equal(entry.node.kind, 'leaf', name);
      assert.deepStrictEqual(snapshot(entry.node), entry.snapshot, `${name}: leaf ${entry.node.path} changed after it was told of`);
      assert.ok(entry.node.bodyRange.end <= entry.fedBefore, `${name}: leaf ${entry.node.path} told of before its bytes arrived`);
    }
    for (const node of tree.nodes) {
      if (node.kind !== 'leaf' || reported.has(node)) continue;
      const endsTheMessage = node.bodyRange.end === bytes.length;
      const collapsed = node.problems.includes('no part found for the multipart boundary');
      assert.ok(endsTheMessage || collapsed, `${name}: leaf ${node.path} (${node.bodyRange.start}-${node.bodyRange.end} of ${bytes.length}) was never told of`);
    }
    return early.length;
  }

  it('over the corpus, the hostile cases and 300 generated messages, in random splits', () => {
    let told = 0;
    const messages = [...corpus(), ...hostile(), ...Array.from({ length: 300 }, (_, index) => ({ name: `generated #${index + 1}`, bytes: randomMime(index + 1) }))];
    for (const { name, bytes } of messages) {
      for (const chunking of [CHUNKINGS[0], CHUNKINGS[2], CHUNKINGS[3]]) {
        told += checkEarlyLeaves(`${name}, ${chunking.name}`, bytes, chunking.chunks(bytes), DEFAULT_WALK_LIMITS);
        told += checkEarlyLeaves(`${name} (small limits), ${chunking.name}`, bytes, chunking.chunks(bytes), SMALL_LIMITS);
      }
    }
    assert.ok(told > 1000, `${told} leaves told of early`);
  });

  it('a part is told of while the rest of a large message has not arrived', () => {
    const bytes = Buffer.from(`Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\nfirst\r\n--b\r\n\r\n${'z'.repeat(1_000_000)}\r\n--b--\r\n`, 'latin1');
    const told: string[] = [];
    const builder = new TreeBuilder(DEFAULT_WALK_LIMITS, { onLeaf: (leaf) => told.push(leaf.path) });
    builder.feed(bytes.subarray(0, 100));
    assert.deepEqual(told, ['1']);
    builder.feed(bytes.subarray(100));
    assert.deepEqual(told, ['1', '2']);
    builder.end();
  });
});
