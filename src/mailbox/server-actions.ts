// The only writes the mailbox scan makes on the server, each after the original is in the local
// quarantine: strip (APPEND the cleaned copy with the original's flags and INTERNALDATE, then remove
// the original), move (UID MOVE to the quarantine folder) and delete (\Deleted + UID EXPUNGE of that
// UID alone). Runs with the folder selected read-write.
import type { ImapFlow } from 'imapflow';

export class ServerActionError extends Error {}

export interface OriginalMessage {
  folder: string;
  uid: number;
  flags: readonly string[];
  internalDate?: Date;
}

/** \Recent belongs to the server and cannot be set by APPEND (RFC 3501 §2.3.2). */
function appendableFlags(flags: readonly string[]): string[] {
  return flags.filter((flag) => flag.toLowerCase() !== '\\recent');
}

/** Appends the cleaned copy; returns its UID when the server reports it (UIDPLUS). */
export async function appendCleaned(client: ImapFlow, original: OriginalMessage, cleaned: Buffer): Promise<number | undefined> {
  const appended = await client.append(original.folder, cleaned, appendableFlags(original.flags), original.internalDate);
  if (!appended) throw new ServerActionError(`APPEND of the cleaned copy of UID ${original.uid} to ${original.folder} failed`);
  return appended.uid;
}

export async function moveToFolder(client: ImapFlow, original: OriginalMessage, destination: string): Promise<void> {
  const moved = await client.messageMove(String(original.uid), destination, { uid: true });
  if (!moved) throw new ServerActionError(`UID MOVE of ${original.uid} from ${original.folder} to ${destination} failed`);
}

/** Without UIDPLUS an EXPUNGE would also remove other messages marked \Deleted, so it is refused. */
export async function deleteOne(client: ImapFlow, original: OriginalMessage): Promise<void> {
  if (!client.capabilities.has('UIDPLUS')) throw new ServerActionError(`the server lacks UIDPLUS, so UID ${original.uid} cannot be expunged alone; use --action move`);
  const deleted = await client.messageDelete(String(original.uid), { uid: true });
  if (!deleted) throw new ServerActionError(`UID STORE \\Deleted + UID EXPUNGE of ${original.uid} in ${original.folder} failed`);
}

/** Creates the quarantine folder unless it exists. */
export async function ensureFolder(client: ImapFlow, path: string): Promise<void> {
  const folders = await client.list();
  if (folders.some((folder) => folder.path === path)) return;
  await client.mailboxCreate(path);
}
