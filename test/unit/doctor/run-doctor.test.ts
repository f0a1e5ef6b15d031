// The doctor's runner and its self-test verdicts, without sockets: checks run in registry order, a check
// that throws becomes a ✗ line of its own, checks that need the configuration wait for a valid one.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import type { DoctorCheck, DoctorContext } from '../../../src/doctor/check.js';
import { fail, pass } from '../../../src/doctor/check.js';
import { configCheck } from '../../../src/doctor/config-check.js';
import { DOCTOR_CHECKS } from '../../../src/doctor/registry.js';
import { formatCheckLine, runDoctor } from '../../../src/doctor/run-doctor.js';
import { cleanChanged, eicarNotStripped, SELF_TEST_MESSAGES } from '../../../src/doctor/self-test/test-messages.js';

const context = { dataDir: '/nowhere', configPath: '/nowhere/config.yaml' };

describe('the configuration check', () => {
  it('a missing scan.signatureDirs entry fails it with the fix, and the checks that read the configuration do not run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inboxguard-doctor-config-'));
    try {
      const configPath = join(dir, 'config.yaml');
      writeFileSync(configPath, `listeners:\n  - name: a\n    listen: 127.0.0.1:10993\n    upstream: imap.example.com:993\nscan:\n  signatureDirs: ["${join(dir, 'gone')}", "${dir}"]\n`);
      const doctorContext: DoctorContext = { dataDir: dir, configPath };
      const [line] = await configCheck.run(doctorContext);
      assert.equal(line.ok, false);
      assert.equal(line.detail, `scan.signatureDirs: ${join(dir, 'gone')} does not exist or is not a directory`);
      assert.match(line.fix ?? '', /create it, or remove it from scan\.signatureDirs/);
      assert.equal(doctorContext.config, undefined);

      writeFileSync(configPath, `listeners:\n  - name: a\n    listen: 127.0.0.1:10993\n    upstream: imap.example.com:993\nscan:\n  signatureDirs: ["${dir}"]\n`);
      const [valid] = await configCheck.run(doctorContext);
      assert.equal(valid.ok, true, valid.detail);
      assert.ok(doctorContext.config);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('runDoctor', () => {
  it('runs every check in order, numbers each outcome as a line, ok only when all pass', async () => {
    const order: string[] = [];
    const checks: DoctorCheck[] = [
      { id: 'a', needsConfig: false, run: async () => (order.push('a'), [pass('A', 'fine')]) },
      { id: 'b', needsConfig: false, run: async () => (order.push('b'), [pass('B1', 'fine'), fail('B2', 'broken', 'mend it')]) },
    ];
    const printed: string[] = [];
    const report = await runDoctor({ ...context }, checks, (line) => printed.push(formatCheckLine(line)));
    assert.deepEqual(order, ['a', 'b']);
    assert.equal(report.ok, false);
    assert.deepEqual(report.checks.map((line) => [line.check, line.title, line.ok]), [['a', 'A', true], ['b', 'B1', true], ['b', 'B2', false]]);
    assert.deepEqual(printed, ['✓ A: fine', '✓ B1: fine', '✗ B2: broken → mend it']);
  });

  it('a check that throws is a ✗ line and the next checks still run', async () => {
    const checks: DoctorCheck[] = [
      { id: 'boom', needsConfig: false, run: async () => { throw new Error('kaput'); } },
      { id: 'after', needsConfig: false, run: async () => [pass('after', 'ran')] },
    ];
    const report = await runDoctor({ ...context }, checks);
    assert.equal(report.checks[0].ok, false);
    assert.match(report.checks[0].detail, /the check failed: kaput/);
    assert.equal(report.checks[1].detail, 'ran');
  });

  it('checks that need the configuration are left out until a check has set a valid one', async () => {
    let ran = 0;
    const needing: DoctorCheck = { id: 'needs', needsConfig: true, run: async () => (ran++, [pass('needs', 'x')]) };
    await runDoctor({ ...context }, [needing]);
    assert.equal(ran, 0);
    await runDoctor({ ...context, config: configSchema.parse({}) }, [needing]);
    assert.equal(ran, 1);
  });

  it('the registry starts with the configuration check and has unique ids', () => {
    assert.equal(DOCTOR_CHECKS[0].id, 'config');
    assert.equal(DOCTOR_CHECKS[0].needsConfig, false);
    assert.equal(new Set(DOCTOR_CHECKS.map((check) => check.id)).size, DOCTOR_CHECKS.length);
  });
});

describe('self-test verdicts', () => {
  it('the EICAR message passes only when the attachment is gone and the text part stays', () => {
    assert.match(eicarNotStripped(SELF_TEST_MESSAGES.eicar) ?? '', /came through unchanged/);
    const withoutAttachment = Buffer.from(SELF_TEST_MESSAGES.eicar.toString('latin1').replace(/^[A-Za-z0-9+/=]{60,}$/m, (line) => ' '.repeat(line.length)), 'latin1');
    assert.equal(eicarNotStripped(withoutAttachment), undefined);
    const textLost = Buffer.from(withoutAttachment.toString('latin1').replace('sent by inboxguard doctor', 'XXXX'), 'latin1');
    assert.match(eicarNotStripped(textLost) ?? '', /clean part .* was lost/);
    const stillThere = Buffer.concat([Buffer.from('X-Changed: 1\r\n'), SELF_TEST_MESSAGES.eicar]);
    assert.match(eicarNotStripped(stillThere) ?? '', /still in the delivered message/);
  });

  it('the clean message passes only byte-identical', () => {
    assert.equal(cleanChanged(SELF_TEST_MESSAGES.clean), undefined);
    assert.match(cleanChanged(Buffer.concat([SELF_TEST_MESSAGES.clean, Buffer.from('\r\n')])) ?? '', /changed \(\d+ bytes sent, \d+ delivered\)/);
  });
});
