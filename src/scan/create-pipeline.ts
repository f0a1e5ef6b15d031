import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { EventLog, eventsPath } from '../store/events.js';
import { Quarantine, quarantineDir } from '../store/quarantine.js';
import { defaultArchiveLimits } from './archive/index.js';
import { createBuiltinEngine, formatWarning, type BuiltinEngine } from './engines/builtin/index.js';
import { createClamdEngine, describeAddress, type ClamdAddress, type ClamdEngine } from './engines/clamd/index.js';
import { ScanPipeline } from './pipeline.js';
import type { ContentEngine } from './types.js';

export interface ScanSetup {
  pipeline: ScanPipeline;
  engines: ContentEngine[];
  /** One line for people, e.g. "builtin (4 signatures), clamd at 127.0.0.1:3310". */
  description: string;
  close(): Promise<void>;
}

export function userSignatureDir(dataDir: string): string {
  return join(dataDir, 'signatures');
}

export function parseClamdAddress(text: string): ClamdAddress {
  if (text.includes('/')) return { socket: text };
  const match = /^(.+):(\d+)$/.exec(text);
  if (!match) throw new Error(`scan.clamd.address "${text}" is neither HOST:PORT nor a socket path`);
  return { host: match[1], port: Number(match[2]) };
}

/** Builds the configured engines and the pipeline around them; warns about anything that will not work. */
export async function createScanSetup(config: Config, dataDir: string, log?: Logger, engineNames = config.scan.engines): Promise<ScanSetup> {
  const engines: ContentEngine[] = [];
  let builtin: BuiltinEngine | undefined;
  if (engineNames.includes('builtin')) {
    const userDir = userSignatureDir(dataDir);
    builtin = await createBuiltinEngine({ signatureDirs: [...(existsSync(userDir) ? [userDir] : []), ...config.scan.signatureDirs] });
    for (const warning of builtin.warnings) log?.warn({ warning: formatWarning(warning) }, 'signature line skipped');
    log?.debug({ signatures: builtin.signatureCount, dirs: builtin.signatureDirs }, 'builtin engine ready');
    engines.push(builtin);
  }
  let clamd: ClamdEngine | undefined;
  if (engineNames.includes('clamd')) {
    const { address, timeoutSeconds, maxConcurrent, streamMaxLength } = config.scan.clamd;
    clamd = createClamdEngine({ address: parseClamdAddress(address), timeoutMs: timeoutSeconds * 1000, maxConcurrent, streamMaxLength });
    try {
      await clamd.ping();
      log?.debug({ clamd: describeAddress(clamd.address), version: await clamd.version() }, 'clamd engine ready');
    } catch (error) {
      log?.warn({ clamd: describeAddress(clamd.address), reason: (error as Error).message }, `clamd does not answer; messages are handled by scan.onError=${config.scan.onError} until it does`);
    }
    engines.push(clamd);
  }
  const pipeline = new ScanPipeline({
    inspector: { engines, archiveLimits: { ...defaultArchiveLimits, ...config.scan.archive }, facts: builtin ? (content, info) => builtin.facts(content, info) : undefined },
    policy: { infected: config.actions.infected, onError: config.scan.onError, subjectTag: config.actions.subjectTag, markClean: config.actions.markClean },
    quarantine: new Quarantine(quarantineDir(dataDir)),
    events: new EventLog(eventsPath(dataDir)),
    maxConcurrentScans: config.scan.maxConcurrentScans,
  });
  const described = [
    ...(builtin ? [`builtin (${Object.values(builtin.signatureCount).reduce((sum, count) => sum + count, 0)} signatures)`] : []),
    ...(clamd ? [`clamd at ${describeAddress(clamd.address)}`] : []),
  ];
  return {
    pipeline,
    engines,
    description: described.join(', '),
    close: async () => {
      await Promise.all(engines.map((engine) => engine.close?.()));
    },
  };
}
