// The CLI's side of the control endpoint: one HTTP request to the running proxy over its socket.
import { request } from 'node:http';
import { UserError } from '../user-error.js';
import { controlSocketPath } from './socket-path.js';

/** No proxy runs with this data dir: some commands then act on the files themselves. */
export class ControlNotRunningError extends UserError {}

export interface ControlReply {
  status: number;
  body: Record<string, unknown>;
}

const TIMEOUT_MS = 10_000;

export function requestControl(dataDir: string, method: 'GET' | 'POST' | 'DELETE', target: string, timeoutMs = TIMEOUT_MS): Promise<ControlReply> {
  const socketPath = controlSocketPath(dataDir);
  return new Promise((resolve, reject) => {
    const outgoing = request({ socketPath, method, path: target, agent: false, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => reject(new UserError(`control socket ${socketPath}: ${error.message}`)));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          const body = JSON.parse(text) as unknown;
          if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not a JSON object');
          resolve({ status: response.statusCode ?? 0, body: body as Record<string, unknown> });
        } catch {
          reject(new UserError(`the control socket ${socketPath} answered ${response.statusCode} with something other than JSON: ${text.slice(0, 80)}`));
        }
      });
    });
    outgoing.on('timeout', () => outgoing.destroy(new UserError(`inboxguard did not answer on its control socket ${socketPath} within ${timeoutMs / 1000} s`)));
    outgoing.on('error', (error: NodeJS.ErrnoException) => reject(connectionError(error, socketPath)));
    outgoing.end();
  });
}

/** The reply's body when the proxy did what was asked; its one-line error otherwise. */
export async function callControl(dataDir: string, method: 'GET' | 'POST' | 'DELETE', target: string): Promise<Record<string, unknown>> {
  const reply = await requestControl(dataDir, method, target);
  if (reply.status >= 200 && reply.status < 300) return reply.body;
  const message = typeof reply.body.error === 'string' ? reply.body.error : `HTTP ${reply.status}`;
  throw new UserError(message);
}

function connectionError(error: NodeJS.ErrnoException, socketPath: string): Error {
  if (error instanceof UserError) return error;
  switch (error.code) {
    case 'ENOENT':
      return new ControlNotRunningError(`inboxguard is not running (no control socket at ${socketPath})`);
    case 'ECONNREFUSED':
      return new ControlNotRunningError(`inboxguard is not running (nothing answers on the control socket at ${socketPath})`);
    case 'EACCES':
    case 'EPERM':
      return new UserError(`cannot use the control socket at ${socketPath}: permission denied (it belongs to another user)`);
    default:
      return new UserError(`cannot reach inboxguard through ${socketPath}: ${error.message}`);
  }
}
