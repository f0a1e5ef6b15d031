// The proxy's own commands inside a user's session (retroactive remediation): where a run may start,
// what goes to the server, and that the client sees only the untagged EXPUNGE it must act on.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SessionServerActions } from '../../../src/protocol/session-ports.js';
import type { ServerAction, ServerActionOutcome } from '../../../src/types/server-action.js';
import { EngineDriver, bytewise, randomSplits, whole, type Chunker } from './harness.js';

const FOLDER = 'InboxGuard Quarantine';
const move = (uid: number, extra: Partial<ServerAction> = {}): ServerAction => ({ id: uid, kind: 'move', mailbox: 'INBOX', uidValidity: '42', uid, folder: FOLDER, ...extra });

class RecordingPort implements SessionServerActions {
  readonly outcomes: { id: number; outcome: ServerActionOutcome }[] = [];
  readonly users: string[] = [];
  private deliver: ((actions: readonly ServerAction[]) => void) | undefined;
  constructor(private readonly atLogin: ServerAction[] = []) {}
  follow(user: string, deliver: (actions: readonly ServerAction[]) => void): () => void {
    this.users.push(user);
    this.deliver = deliver;
    if (this.atLogin.length > 0) deliver(this.atLogin);
    return () => (this.deliver = undefined);
  }
  done(action: ServerAction, outcome: ServerActionOutcome): void {
    this.outcomes.push({ id: action.id, outcome });
  }
  offer(actions: ServerAction[]): void {
    assert.ok(this.deliver, 'no session follows the account');
    this.deliver(actions);
  }
}

function session(port: RecordingPort, caps = 'IMAP4rev1 IDLE MOVE UIDPLUS UNSELECT', select: 'SELECT' | 'EXAMINE' | 'nothing' = 'SELECT'): EngineDriver {
  const d = new EngineDriver({ serverActions: port });
  d.server(`* OK [CAPABILITY ${caps}] ready\r\n`);
  d.client('a1 LOGIN alice secret\r\n').server('a1 OK logged in\r\n');
  if (select !== 'nothing') d.client(`a2 ${select} INBOX\r\n`).server('* 3 EXISTS\r\n* OK [UIDVALIDITY 42] UIDs valid\r\na2 OK selected\r\n');
  d.takeClient();
  d.takeServer();
  return d;
}

/** A session with INBOX selected, then the actions offered (as a late verdict would). */
function selectedWith(actions: ServerAction[], caps?: string, select: 'SELECT' | 'EXAMINE' = 'SELECT'): { d: EngineDriver; port: RecordingPort } {
  const port = new RecordingPort();
  const d = session(port, caps, select);
  port.offer(actions);
  return { d, port };
}

/** The tag of the proxy's command the server was just sent (the last line), checking its text. */
function ownCommand(d: EngineDriver, text: string): string {
  const sent = d.takeServer();
  const match = /^(ig[0-9a-f]+\.\d+) (.*)\r\n$/.exec(sent);
  assert.ok(match, `expected one proxy command, the server got ${JSON.stringify(sent)}`);
  assert.equal(match[2], text);
  return match[1];
}

describe('retroactive remediation inside a session', () => {
  for (const [name, chunker] of [['whole', whole], ['bytewise', bytewise], ['random', randomSplits(11, 9)]] as [string, Chunker][]) {
    test(`before a NOOP: CREATE, UID MOVE, then the NOOP; the client sees only the EXPUNGE (${name})`, () => {
      const { d, port } = selectedWith([move(7)]);
      assert.deepEqual(port.users, ['alice']);
      d.client('n1 NOOP\r\n', chunker);
      const create = ownCommand(d, `CREATE "${FOLDER}"`);
      d.server(`${create} NO [ALREADYEXISTS] Mailbox already exists\r\n`, chunker);
      const moved = ownCommand(d, `UID MOVE 7 "${FOLDER}"`);
      d.server(`* OK [COPYUID 42 7 1] Moved UIDs.\r\n* 3 EXPUNGE\r\n${moved} OK Move completed.\r\n`, chunker);
      assert.equal(d.takeServer(), 'n1 NOOP\r\n', 'the client command waited for the run');
      d.server('n1 OK NOOP completed.\r\n', chunker);
      assert.equal(d.takeClient(), '* 3 EXPUNGE\r\nn1 OK NOOP completed.\r\n');
      assert.deepEqual(port.outcomes, [{ id: 7, outcome: 'done' }]);
    });
  }

  test('commands that number messages (FETCH, STORE, SEARCH by sequence) never start a run', () => {
    const { d, port } = selectedWith([move(7)]);
    d.client('f1 FETCH 1 FLAGS\r\n');
    assert.equal(d.takeServer(), 'f1 FETCH 1 FLAGS\r\n');
    d.server('* 1 FETCH (FLAGS ())\r\nf1 OK done\r\n');
    d.client('f2 UID FETCH 7 FLAGS\r\n');
    ownCommand(d, `CREATE "${FOLDER}"`);
  });

  test('nothing starts while another client command is in flight', () => {
    const { d, port } = selectedWith([move(7)]);
    d.client('f1 FETCH 1 FLAGS\r\nn1 NOOP\r\n');
    assert.equal(d.takeServer(), 'f1 FETCH 1 FLAGS\r\nn1 NOOP\r\n');
  });

  test('a mailbox opened with EXAMINE, or another mailbox, is left alone', () => {
    const { d: examined } = selectedWith([move(7)], undefined, 'EXAMINE');
    examined.client('n1 NOOP\r\n');
    assert.equal(examined.takeServer(), 'n1 NOOP\r\n');
    const { d: other } = selectedWith([move(7, { mailbox: 'Archive' })]);
    other.client('n1 NOOP\r\n');
    assert.equal(other.takeServer(), 'n1 NOOP\r\n');
  });

  test('in IDLE: DONE, the move, IDLE again under the client\'s tag; the client sees the EXPUNGE only', () => {
    const port = new RecordingPort();
    const d = session(port);
    d.client('i1 IDLE\r\n');
    assert.equal(d.takeServer(), 'i1 IDLE\r\n');
    d.server('+ idling\r\n');
    assert.equal(d.takeClient(), '+ idling\r\n');
    port.offer([move(7)]);
    assert.equal(d.takeServer(), 'DONE\r\n');
    d.server('i1 OK Idle completed (0.001 + 5.000 secs).\r\n');
    const create = ownCommand(d, `CREATE "${FOLDER}"`);
    d.server(`${create} OK Create completed.\r\n`);
    const moved = ownCommand(d, `UID MOVE 7 "${FOLDER}"`);
    d.server(`* OK [COPYUID 42 7 1] Moved UIDs.\r\n* 3 EXPUNGE\r\n${moved} OK Move completed.\r\n`);
    assert.equal(d.takeServer(), 'i1 IDLE\r\n', 'IDLE resumed under the client\'s tag');
    d.server('+ idling\r\n');
    assert.equal(d.takeClient(), '* 3 EXPUNGE\r\n', 'the client never saw its IDLE end or start again');
    d.client('DONE\r\n');
    assert.equal(d.takeServer(), 'DONE\r\n');
    d.server('i1 OK Idle completed.\r\n');
    assert.equal(d.takeClient(), 'i1 OK Idle completed.\r\n');
    assert.deepEqual(port.outcomes, [{ id: 7, outcome: 'done' }]);
  });

  test('in IDLE, the client ending its IDLE during the move gets the server\'s completion afterwards', () => {
    const port = new RecordingPort();
    const d = session(port);
    d.client('i1 IDLE\r\n').server('+ idling\r\n');
    d.takeClient();
    d.takeServer();
    port.offer([move(7)]);
    assert.equal(d.takeServer(), 'DONE\r\n');
    d.client('DONE\r\nn1 NOOP\r\n');
    assert.equal(d.takeServer(), '', 'the DONE is the proxy\'s to answer; the NOOP waits');
    d.server('i1 OK Idle completed.\r\n');
    const create = ownCommand(d, `CREATE "${FOLDER}"`);
    d.server(`${create} OK done\r\n`);
    const moved = ownCommand(d, `UID MOVE 7 "${FOLDER}"`);
    d.server(`* OK [COPYUID 42 7 1] Moved UIDs.\r\n* 3 EXPUNGE\r\n${moved} OK Move completed.\r\n`);
    assert.equal(d.takeServer(), 'n1 NOOP\r\n', 'no IDLE again: the client had ended it');
    assert.equal(d.takeClient(), '* 3 EXPUNGE\r\ni1 OK Idle completed.\r\n');
  });

  test('a new session with nothing selected: SELECT, move, UNSELECT before the client\'s first command, all hidden', () => {
    const port = new RecordingPort([move(7)]);
    const d = session(port, undefined, 'nothing');
    d.client('a2 SELECT INBOX\r\n');
    const select = ownCommand(d, 'SELECT "INBOX"');
    d.server(`* 3 EXISTS\r\n* OK [UIDVALIDITY 42] UIDs valid\r\n${select} OK [READ-WRITE] Select completed.\r\n`);
    const create = ownCommand(d, `CREATE "${FOLDER}"`);
    d.server(`${create} NO [ALREADYEXISTS] exists\r\n`);
    const moved = ownCommand(d, `UID MOVE 7 "${FOLDER}"`);
    d.server(`* OK [COPYUID 42 7 1] Moved UIDs.\r\n* 3 EXPUNGE\r\n${moved} OK Move completed.\r\n`);
    const unselect = ownCommand(d, 'UNSELECT');
    d.server(`${unselect} OK Unselect completed.\r\n`);
    assert.equal(d.takeServer(), 'a2 SELECT INBOX\r\n');
    assert.equal(d.takeClient(), '', 'the client saw nothing of the proxy\'s mailbox');
    d.server('* 2 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\na2 OK selected\r\n');
    assert.equal(d.takeClient(), '* 2 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\na2 OK selected\r\n');
    assert.deepEqual(port.outcomes, [{ id: 7, outcome: 'done' }]);
  });

  test('a changed UIDVALIDITY means the message is gone: no move', () => {
    const port = new RecordingPort([move(7, { uidValidity: '41' })]);
    const d = session(port, undefined, 'nothing');
    d.client('a2 LIST "" "*"\r\n');
    const select = ownCommand(d, 'SELECT "INBOX"');
    d.server(`* OK [UIDVALIDITY 42] UIDs valid\r\n${select} OK selected\r\n`);
    const unselect = ownCommand(d, 'UNSELECT');
    d.server(`${unselect} OK done\r\n`);
    assert.equal(d.takeServer(), 'a2 LIST "" "*"\r\n');
    assert.deepEqual(port.outcomes, [{ id: 7, outcome: 'gone' }]);
  });

  test('without MOVE: UID COPY, UID STORE \\Deleted, UID EXPUNGE of that UID, never a bare EXPUNGE', () => {
    const { d, port } = selectedWith([move(7)], 'IMAP4rev1 UIDPLUS');
    d.client('n1 NOOP\r\n');
    d.server(`${ownCommand(d, `CREATE "${FOLDER}"`)} OK done\r\n`);
    d.server(`${ownCommand(d, `UID COPY 7 "${FOLDER}"`)} OK [COPYUID 42 7 3] Copy completed.\r\n`);
    d.server(`${ownCommand(d, 'UID STORE 7 +FLAGS.SILENT (\\Deleted)')} OK Store completed.\r\n`);
    d.server(`* 3 EXPUNGE\r\n${ownCommand(d, 'UID EXPUNGE 7')} OK Expunge completed.\r\n`);
    assert.equal(d.takeServer(), 'n1 NOOP\r\n');
    assert.equal(d.takeClient(), '* 3 EXPUNGE\r\n');
    assert.deepEqual(port.outcomes, [{ id: 7, outcome: 'done' }]);
  });

  test('neither MOVE nor UIDPLUS: nothing is sent, the action is reported unsupported', () => {
    const { d, port } = selectedWith([move(7)], 'IMAP4rev1');
    d.client('n1 NOOP\r\n');
    assert.equal(d.takeServer(), 'n1 NOOP\r\n');
    assert.deepEqual(port.outcomes, [{ id: 7, outcome: 'unsupported' }]);
  });

  test('a UID that is no longer there: OK without COPYUID reports it gone', () => {
    const { d, port } = selectedWith([move(9)]);
    d.client('n1 NOOP\r\n');
    d.server(`${ownCommand(d, `CREATE "${FOLDER}"`)} NO [ALREADYEXISTS] exists\r\n`);
    d.server(`${ownCommand(d, `UID MOVE 9 "${FOLDER}"`)} OK No messages found.\r\n`);
    assert.equal(d.takeServer(), 'n1 NOOP\r\n');
    assert.deepEqual(port.outcomes, [{ id: 9, outcome: 'gone' }]);
  });

  test('flag: UID STORE with the keyword, the FETCH it causes reaches the client', () => {
    const { d, port } = selectedWith([move(7, { kind: 'flag' })]);
    d.client('n1 NOOP\r\n');
    const tag = ownCommand(d, 'UID STORE 7 +FLAGS ($InboxGuardBlocked \\Flagged)');
    d.server(`* 3 FETCH (UID 7 FLAGS (\\Flagged $InboxGuardBlocked))\r\n${tag} OK Store completed.\r\n`);
    assert.equal(d.takeServer(), 'n1 NOOP\r\n');
    assert.equal(d.takeClient(), '* 3 FETCH (UID 7 FLAGS (\\Flagged $InboxGuardBlocked))\r\n');
  });

  test('the server closing during a run leaves the action unreported (it waits for the next session)', () => {
    const { d, port } = selectedWith([move(7)]);
    d.client('n1 NOOP\r\n');
    ownCommand(d, `CREATE "${FOLDER}"`);
    d.server('* BYE shutting down\r\n').end('server');
    assert.equal(d.takeClient(), '* BYE shutting down\r\n');
    assert.deepEqual(port.outcomes, []);
  });

  describe('reading the whole original of a part fetched alone (fetch-original)', () => {
    const MESSAGE = 'From: a@example.org\r\nSubject: whole\r\n\r\nthe whole message\r\n';
    const fetchOriginal = (uid: number): ServerAction => ({ id: 100 + uid, kind: 'fetch-original', mailbox: 'INBOX', uidValidity: '42', uid, folder: '', quarantineId: 'q' });

    for (const [name, chunker] of [['whole', whole], ['bytewise', bytewise], ['random', randomSplits(5, 7)]] as [string, Chunker][]) {
      test(`a quiet client: UID FETCH BODY.PEEK[] at once, the response hidden, its literal handed on (${name})`, () => {
        const { d, port } = selectedWith([fetchOriginal(7)]);
        const tag = ownCommand(d, 'UID FETCH 7 BODY.PEEK[]');
        d.client('n1 NOOP\r\n', chunker);
        assert.equal(d.takeServer(), '', 'the client waits behind the read');
        d.server(`* 3 FETCH (UID 7 BODY[] {${MESSAGE.length}}\r\n${MESSAGE})\r\n${tag} OK Fetch completed.\r\n`, chunker);
        assert.equal(d.takeServer(), 'n1 NOOP\r\n');
        d.server('n1 OK NOOP completed.\r\n', chunker);
        assert.equal(d.takeClient(), 'n1 OK NOOP completed.\r\n', 'nothing of the read reached the client');
        assert.equal(Buffer.concat(d.actionData.get(107) ?? []).toString('latin1'), MESSAGE);
        assert.deepEqual(port.outcomes, [], 'the session core, not the remediation port, receives a read');
      });
    }

    test('waits while a client command is in flight, then goes before the next one of any kind', () => {
      const port = new RecordingPort();
      const d = session(port);
      d.client('f1 FETCH 3 FLAGS\r\n');
      d.takeServer();
      port.offer([fetchOriginal(7)]);
      assert.equal(d.takeServer(), '');
      d.server('* 3 FETCH (FLAGS ())\r\nf1 OK done\r\n');
      const tag = ownCommand(d, 'UID FETCH 7 BODY.PEEK[]');
      d.server(`${tag} OK Fetch completed.\r\n`);
      assert.equal(d.takeClient(), '* 3 FETCH (FLAGS ())\r\nf1 OK done\r\n');
      assert.equal(d.actionData.size, 0, 'an UID that is gone gives nothing to read');
    });
  });
});
