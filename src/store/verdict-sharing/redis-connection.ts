// From `analysis.share` to ioredis connection options: the address, the password (in the address or
// in a 0600 file, never logged), and for rediss:// TLS verified against the system store plus an
// optional extra CA file, as the upstream mail connections are (src/proxy/upstream.ts).
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { RedisOptions } from 'ioredis';
import { posixModes } from '../../private-files.js';

/** The part of `analysis.share` (src/config/analysis-schema.ts) this module reads; store/ does not import config/. */
export interface ShareOptions {
  redis?: string;
  passwordFile?: string;
  /** A PEM file of CA certificates trusted for rediss:// besides the system store. */
  caFile?: string;
  stream: string;
  maxLength: number;
  maxQueued: number;
}

export class ShareConfigError extends Error {}

export interface RedisTarget {
  options: RedisOptions;
  /** For logs and status: scheme, host, port and database, never the credentials. */
  display: string;
}

export function redisTarget(share: ShareOptions): RedisTarget {
  if (!share.redis) throw new ShareConfigError('analysis.share.redis is not set');
  let url: URL;
  try {
    url = new URL(share.redis);
  } catch {
    throw new ShareConfigError('analysis.share.redis is not a valid address (redis://host:6379/0 or rediss://…)');
  }
  const tls = url.protocol === 'rediss:';
  if (!tls && url.protocol !== 'redis:') throw new ShareConfigError(`analysis.share.redis: unknown scheme ${url.protocol}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new ShareConfigError('analysis.share.redis has no host');
  const port = url.port ? Number(url.port) : 6379;
  const dbText = url.pathname.replace(/^\//, '');
  if (!/^\d*$/.test(dbText)) throw new ShareConfigError(`analysis.share.redis: the path must be a database number, got /${dbText.slice(0, 20)}`);
  const db = dbText ? Number(dbText) : 0;
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  let password = url.password ? decodeURIComponent(url.password) : undefined;
  if (share.passwordFile) {
    if (password !== undefined) throw new ShareConfigError('analysis.share: give the Redis password in the address or in passwordFile, not both');
    password = readPasswordFile(share.passwordFile);
  }
  const options: RedisOptions = { host, port, db, ...(username ? { username } : {}), ...(password !== undefined ? { password } : {}) };
  if (tls) {
    options.tls = {
      ca: [...rootCertificates, ...(share.caFile ? [readCaFile(share.caFile)] : [])],
      servername: isIP(host) === 0 ? host : undefined,
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
    };
  }
  return { options, display: `${tls ? 'rediss' : 'redis'}://${isIP(host) === 6 ? `[${host}]` : host}:${port}/${db}` };
}

function readPasswordFile(path: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    throw new ShareConfigError(`analysis.share.passwordFile ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (posixModes && (mode & 0o077) !== 0) {
    throw new ShareConfigError(`analysis.share.passwordFile ${path} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  }
  const password = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  if (password === '') throw new ShareConfigError(`analysis.share.passwordFile ${path} is empty`);
  return password;
}

function readCaFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ShareConfigError(`analysis.share.caFile ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
