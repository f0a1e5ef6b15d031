// Released messages and the remediations a blocking late verdict queues for them (state.db), and the
// hub that hands them to the account's sessions and records what came of them.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { RemediationHub } from '../../../src/proxy/remediation-hub.js';
import { EventLog, eventsPath } from '../../../src/store/events.js';
import { RemediationStore } from '../../../src/store/remediations.js';
import type { ServerAction } from '../../../src/types/server-action.js';

const SHA = 'c'.repeat(64);
const OTHER = 'd'.repeat(64);
const imap = { protocol: 'imap' as const, upstream: 'mail:993', user: 'alice', mailbox: 'INBOX', uidValidity: '7', uid: 12, subject: 'invoice' };

describe('remediations', () => {
  let dir: string;
  let store: RemediationStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ig-remediations-'));
    store = RemediationStore.open(dir);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a blocking verdict queues one move per released IMAP message carrying the part; survives reopening', () => {
    store.recordReleased(imap, [SHA, OTHER]);
    store.recordReleased({ ...imap, uid: 13 }, [SHA]);
    store.recordReleased({ ...imap, uid: 14 }, [OTHER]);
    const queued = store.queueFor(SHA, { verdict: 'malicious' }, 'move', 'Quarantine');
    assert.deepEqual(queued.imap.map((q) => q.action.uid).sort(), [12, 13]);
    store.close();
    store = RemediationStore.open(dir);
    assert.deepEqual(store.pending('mail:993', 'alice').map((a) => a.uid), [12, 13]);
    assert.deepEqual(store.pending('mail:993', 'bob'), []);
    // The other part of message 12 turning out bad too does not queue it twice.
    assert.deepEqual(store.queueFor(OTHER, { verdict: 'malicious' }, 'move', 'Quarantine').imap.map((q) => q.action.uid), [14]);
  });

  test('POP3 messages and remediate=none are reported untouchable, nothing is queued', () => {
    store.recordReleased({ protocol: 'pop3', upstream: 'mail:995', user: 'bob', uidl: 'UID-77', subject: 'report' }, [SHA]);
    store.recordReleased(imap, [OTHER]);
    assert.deepEqual(store.queueFor(SHA, { verdict: 'malicious' }, 'move', 'Q').untouchable.map((m) => m.uidl), ['UID-77']);
    const none = store.queueFor(OTHER, { verdict: 'malicious' }, 'none', 'Q');
    assert.equal(none.imap.length, 0);
    assert.equal(none.untouchable.length, 1);
    assert.deepEqual(store.pending('mail:993', 'alice'), []);
  });

  test('statements are prepared once per store: a second login, release or verdict prepares nothing new', () => {
    const logIn = (user: string): void => void store.pending('mail:993', user);
    const cycle = (uid: number): void => {
      store.recordReleased({ ...imap, uid }, [SHA]);
      const queued = store.queueFor(SHA, { verdict: 'malicious' }, 'move', 'Q');
      logIn('alice'); // after the verdict: with nothing pending a login asks SQLite nothing
      for (const { action } of queued.imap) {
        store.describe(action.id);
        store.finish(action.id, 'done', 'ok');
      }
    };
    cycle(20);
    const afterFirst = store.statementsPrepared;
    assert.ok(afterFirst >= 5, `expected the first cycle to prepare its statements, saw ${afterFirst}`);
    logIn('bob');
    cycle(21);
    cycle(22);
    assert.equal(store.statementsPrepared, afterFirst);
    // The reused statements still answer with the current rows.
    store.recordReleased({ ...imap, uid: 23 }, [OTHER]);
    store.queueFor(OTHER, { verdict: 'malicious' }, 'flag', 'Q');
    assert.deepEqual(store.pending('mail:993', 'alice').map((a) => [a.uid, a.kind]), [[23, 'flag']]);
  });

  test('a login of an account with nothing pending does not ask SQLite; one with pending remediations does, until they are done', () => {
    assert.deepEqual(store.pending('mail:993', 'alice'), []);
    assert.equal(store.pendingQueries, 0, 'nothing queued: no query');
    store.recordReleased(imap, [SHA]);
    store.queueFor(SHA, { verdict: 'malicious' }, 'move', 'Quarantine');
    assert.deepEqual(store.pending('mail:993', 'bob'), []);
    assert.equal(store.pendingQueries, 0, 'another account: no query');
    const [action] = store.pending('mail:993', 'alice');
    assert.equal(action?.uid, 12);
    assert.equal(store.pendingQueries, 1);
    store.finish(action!.id, 'done', 'ok');
    assert.deepEqual(store.pending('mail:993', 'alice'), [], 'the query that finds nothing left forgets the account');
    assert.deepEqual(store.pending('mail:993', 'alice'), []);
    assert.equal(store.pendingQueries, 2);
  });

  test('accounts with pending remediations are known again after reopening', () => {
    store.recordReleased(imap, [SHA]);
    store.queueFor(SHA, { verdict: 'malicious' }, 'flag', '');
    store.close();
    store = RemediationStore.open(dir);
    assert.deepEqual(store.pending('mail:993', 'alice').map((a) => a.kind), ['flag']);
    assert.deepEqual(store.pending('other:993', 'alice'), []);
    assert.equal(store.pendingQueries, 1);
  });

  test('the hub hands a verdict to open sessions of that account, and only the first outcome counts', () => {
    const hub = new RemediationHub(store, new EventLog(eventsPath(dir)), () => ({ remediate: 'move', quarantineFolder: 'Q' }));
    const seen: { session: string; actions: readonly ServerAction[] }[] = [];
    const one = hub.forSession('mail:993');
    const two = hub.forSession('mail:993');
    const stopOne = one.follow('alice', (actions) => seen.push({ session: 'one', actions }));
    two.follow('alice', (actions) => seen.push({ session: 'two', actions }));
    hub.forSession('mail:993').follow('bob', (actions) => seen.push({ session: 'bob', actions }));
    hub.released(imap, [SHA]);
    hub.lateVerdict({ sha256: SHA, verdict: 'malicious', name: 'Late.Test', backend: 'analysis:sandbox', blocking: true });
    assert.deepEqual(seen.map((s) => s.session), ['one', 'two']);
    const action = seen[0].actions[0];
    one.done(action, 'done', 'Move completed.');
    two.done(action, 'gone', 'No messages found.');
    assert.deepEqual(store.list().map((r) => r.state), ['done']);
    const events = readFileSync(eventsPath(dir), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { actions: string[]; subject?: string });
    assert.deepEqual(events.map((e) => e.actions[0]), ['move-queued', 'moved-to:Q']);
    assert.equal(events[1].subject, 'invoice');
    // A session that stops following is not offered later verdicts; a new one gets what is pending.
    stopOne();
    hub.released({ ...imap, uid: 20 }, [OTHER]);
    hub.lateVerdict({ sha256: OTHER, verdict: 'suspicious', backend: 'analysis:sandbox', blocking: true });
    assert.deepEqual(seen.slice(2).map((s) => s.session), ['two']);
    const later: number[] = [];
    hub.forSession('mail:993').follow('alice', (actions) => later.push(...actions.map((a) => a.uid)));
    assert.deepEqual(later, [20]);
  });

  test('a non-blocking late verdict changes nothing', () => {
    const hub = new RemediationHub(store, new EventLog(eventsPath(dir)), () => ({ remediate: 'move', quarantineFolder: 'Q' }));
    hub.released(imap, [SHA]);
    hub.lateVerdict({ sha256: SHA, verdict: 'clean', backend: 'analysis:sandbox', blocking: false });
    assert.deepEqual(store.pending('mail:993', 'alice'), []);
  });
});
