import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configSchema } from '../../../src/config/schema.js';
import { signatureVersion } from '../../../src/mailbox/signature-version.js';

const root = mkdtempSync(join(tmpdir(), 'inboxguard-signature-version-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('signature version of the mailbox scan', () => {
  it('changes when a signature file is added or edited, in the data dir or in scan.signatureDirs, and not otherwise', async () => {
    const dataDir = join(root, 'data');
    const extra = join(root, 'extra');
    mkdirSync(extra, { recursive: true });
    const config = configSchema.parse({ scan: { engines: ['builtin'], signatureDirs: [extra] } });
    const first = await signatureVersion(config, dataDir, ['builtin']);
    assert.match(first.version, /^[0-9a-f]{16}$/);
    assert.equal((await signatureVersion(config, dataDir, ['builtin'])).version, first.version, 'stable');
    mkdirSync(join(dataDir, 'signatures'), { recursive: true });
    writeFileSync(join(dataDir, 'signatures', 'local.hdb'), '44d88612fea8a8f36de82e1278abb02f:68:Local.Test\n');
    const withUserFile = await signatureVersion(config, dataDir, ['builtin']);
    assert.notEqual(withUserFile.version, first.version);
    writeFileSync(join(extra, 'more.ndb'), 'Local.Body:0:*:4142434445\n');
    const withExtra = await signatureVersion(config, dataDir, ['builtin']);
    assert.notEqual(withExtra.version, withUserFile.version);
    writeFileSync(join(extra, 'more.ndb'), 'Local.Body:0:*:4142434446\n');
    assert.notEqual((await signatureVersion(config, dataDir, ['builtin'])).version, withExtra.version);
    assert.match(withExtra.description, /^builtin: \d+ signature files$/);
  });
});
