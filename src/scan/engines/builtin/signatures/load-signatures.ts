// Loads .hdb, .hsb and .ndb files from signature directories into the engine's databases. A bad
// line is skipped with a warning (file and line) instead of failing the whole load as clamd does;
// other ClamAV database files are reported once as unsupported; anything else is ignored.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { BodyDatabase, type BodyMatcherOptions } from '../body/body-database.js';
import { HexPatternError } from '../body/hex-pattern.js';
import { parseNdbLine } from '../body/ndb-line.js';
import { HashDatabase } from '../hash/hash-database.js';
import { parseHashLine } from '../hash/hash-line.js';
import type { LineResult, SignatureWarning } from './signature-warnings.js';
import { UserError } from '../../../../user-error.js';

export interface SignatureCount {
  hdb: number;
  hsb: number;
  ndb: number;
}

export interface LoadedSignatures {
  hashes: HashDatabase;
  bodies: BodyDatabase;
  count: SignatureCount;
  /** Lines skipped because their functionality level excludes this engine. */
  skippedByFlevel: number;
  warnings: SignatureWarning[];
}

const OTHER_CLAMAV_DATABASES = new Set(
  'cvd cld cud db ldb ldu mdb mdu msb msu fp sfp ign ign2 ftm pdb gdb wdb cdb cat crb idb info cfg yar yara pwdb cbc hdu hsu ndu imp'.split(' '),
);

async function assertDirectory(dir: string): Promise<void> {
  let isDirectory = false;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch {
    // reported below
  }
  // The user's setting (scan.signatureDirs), so one line for them, not a stack trace.
  if (!isDirectory) throw new UserError(`scan.signatureDirs: ${dir} does not exist or is not a directory`);
}

function* signatureLines(text: string): Generator<[number, string]> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() === '' || line.startsWith('#')) continue;
    yield [i + 1, line];
  }
}

export async function loadSignatures(dirs: string[], automatonOptions: BodyMatcherOptions = {}): Promise<LoadedSignatures> {
  const loaded: LoadedSignatures = {
    hashes: new HashDatabase(),
    bodies: new BodyDatabase(automatonOptions),
    count: { hdb: 0, hsb: 0, ndb: 0 },
    skippedByFlevel: 0,
    warnings: [],
  };
  for (const dir of dirs) {
    await assertDirectory(dir);
    for (const entry of (await readdir(dir)).sort()) {
      const file = join(dir, entry);
      const extension = extname(entry).slice(1).toLowerCase();
      if (extension === 'hdb' || extension === 'hsb' || extension === 'ndb') {
        if (!(await stat(file)).isFile()) continue;
        loadFile(file, extension, await readFile(file, 'utf8'), loaded);
      } else if (OTHER_CLAMAV_DATABASES.has(extension)) {
        loaded.warnings.push({ file, line: 0, kind: 'unsupported', message: `.${extension} databases are not supported by the builtin engine; file ignored` });
      }
    }
  }
  return loaded;
}

function loadFile(file: string, extension: 'hdb' | 'hsb' | 'ndb', text: string, loaded: LoadedSignatures): void {
  for (const [lineNumber, line] of signatureLines(text)) {
    const warn = (result: LineResult<unknown> & { ok: false }): void => {
      loaded.warnings.push({ file, line: lineNumber, kind: result.kind, message: result.message });
    };
    if (extension === 'ndb') {
      const result = parseNdbLine(line);
      if (!result.ok) warn(result);
      else if (result.value === null) loaded.skippedByFlevel++;
      else {
        try {
          loaded.bodies.add(result.value);
          loaded.count.ndb++;
        } catch (err) {
          if (!(err instanceof HexPatternError)) throw err;
          warn({ ok: false, kind: 'malformed', message: err.message });
        }
      }
    } else {
      const result = parseHashLine(line);
      if (!result.ok) warn(result);
      else if (result.value === null) loaded.skippedByFlevel++;
      else {
        loaded.hashes.add(result.value);
        loaded.count[extension]++;
      }
    }
  }
}
