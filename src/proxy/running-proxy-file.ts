// <data-dir>/inboxguard.pid: which process runs the proxy of this data dir and which addresses it
// listens on, so `inboxguard doctor` can tell "port held by this proxy" from "port taken by another
// program" (a proxy's greeting is its upstream's, so a connection alone cannot tell).
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from '../private-files.js';

export interface RunningProxyRecord {
  pid: number;
  listeners: { name: string; address: string; port: number }[];
}

export function runningProxyFilePath(dataDir: string): string {
  return join(dataDir, 'inboxguard.pid');
}

export function writeRunningProxyFile(dataDir: string, record: RunningProxyRecord): void {
  writePrivateFile(runningProxyFilePath(dataDir), `${JSON.stringify(record)}\n`);
}

/** Removes the file only while it still names this process (a second proxy may have replaced it). */
export function removeRunningProxyFile(dataDir: string, pid = process.pid): void {
  if (readRunningProxyFile(dataDir)?.pid === pid) rmSync(runningProxyFilePath(dataDir), { force: true });
}

/** The record, or undefined when there is none, it is unreadable, or its process no longer exists. */
export function readRunningProxyFile(dataDir: string): RunningProxyRecord | undefined {
  let record: RunningProxyRecord;
  try {
    record = JSON.parse(readFileSync(runningProxyFilePath(dataDir), 'utf8')) as RunningProxyRecord;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(record.pid) || !Array.isArray(record.listeners)) return undefined;
  return isAlive(record.pid) ? record : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
