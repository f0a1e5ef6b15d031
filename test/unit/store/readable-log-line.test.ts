// The readable console / `inboxguard logs` line: its local time is what Date#toTimeString() shows,
// in any time zone (the line no longer asks for the zone's name to get it).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { readableLogLine } from '../../../src/store/log.js';

const zone = process.env.TZ;
after(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

test('the time and date are local, as toTimeString and the calendar give them, across zones and DST changes', () => {
  const times = [Date.UTC(2026, 0, 1, 0, 0, 0), Date.UTC(2026, 2, 29, 0, 59, 59), Date.UTC(2026, 2, 29, 1, 0, 1), Date.UTC(2026, 9, 25, 0, 30, 5), Date.UTC(2026, 11, 31, 23, 59, 59), 1_765_000_000_123];
  for (const tz of ['UTC', 'Europe/Berlin', 'America/St_Johns', 'Asia/Kathmandu', 'Pacific/Kiritimati']) {
    process.env.TZ = tz;
    for (const time of times) {
      const at = new Date(time);
      const line = JSON.stringify({ level: 30, time, pid: 1, hostname: 'h', session: 3, msg: 'session closed', reason: 'x' });
      assert.equal(readableLogLine(line), `${at.toTimeString().slice(0, 8)} INFO  session closed session=3 reason=x`, `${tz} ${time}`);
      const date = `${at.getFullYear()}-${String(at.getMonth() + 1).padStart(2, '0')}-${String(at.getDate()).padStart(2, '0')}`;
      assert.equal(readableLogLine(line, true), `${date} ${at.toTimeString().slice(0, 8)} INFO  session closed session=3 reason=x`);
    }
  }
});

test('a record without a time and a line that is not JSON read as before', () => {
  assert.equal(readableLogLine('{"level":40,"msg":"m"}'), 'Invalid  WARN  m');
  assert.equal(readableLogLine('not json'), 'not json');
});
