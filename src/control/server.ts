// The local control endpoint (#14): HTTP over a Unix socket that only the owner can use, through which
// the CLI reaches the running proxy (`inboxguard holds`, `verdicts forget`). Nothing listens on TCP.
//
// No moment with a wider mode: the socket is bound inside a fresh 0700 directory (mkdtemp), set to 0600,
// and only then linked to <data-dir>/control.sock. link(2) fails when that name exists, so two proxies
// starting at once cannot take the same name; a socket left by a crashed proxy (nothing answers) is
// removed first, a live one is an error.
import { chmodSync, linkSync, lstatSync, mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ensurePrivateDir, posixModes } from '../private-files.js';
import { UserError } from '../user-error.js';
import { routeControlRequest, type ControlHandlers } from './routes.js';
import { checkSocketPathLength, controlSocketPath } from './socket-path.js';

export interface ControlServer {
  /** The socket (or named pipe) clients connect to. */
  path: string;
  /** Stops answering, drops open connections and removes the socket file if it is still this server's. */
  close(): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 10_000;

export async function startControlServer(dataDir: string, handlers: ControlHandlers): Promise<ControlServer> {
  const path = controlSocketPath(dataDir);
  const server = createServer((request, response) => answer(request, response, handlers));
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  if (!posixModes) {
    // A named pipe: Windows' default pipe security gives write access to the owner, SYSTEM and administrators only.
    await listen(server, path).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'EADDRINUSE' ? alreadyRunning(dataDir, path) : error;
    });
    return { path, close: () => closeServer(server) };
  }
  ensurePrivateDir(dataDir);
  checkSocketPathLength(path);
  await removeStaleSocket(dataDir, path);
  const inode = await bindPrivately(server, dataDir, path);
  return {
    path,
    close: async () => {
      await closeServer(server);
      try {
        if (statSync(path).ino === inode) unlinkSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    },
  };
}

function answer(request: IncomingMessage, response: ServerResponse, handlers: ControlHandlers): void {
  // No route takes a body: whatever was sent is read and dropped.
  request.resume();
  request.on('end', () => {
    const result = routeControlRequest(request.method ?? 'GET', request.url ?? '/', handlers);
    const body = `${JSON.stringify(result.body)}\n`;
    response.writeHead(result.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      ...(result.allow ? { allow: result.allow } : {}),
    });
    response.end(body);
  });
}

function alreadyRunning(dataDir: string, path: string): UserError {
  return new UserError(`inboxguard is already running with data dir ${dataDir} (its control socket ${path} answers); stop it first`);
}

/** Whether something accepts connections on the socket: ECONNREFUSED means its proxy is gone. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve(false);
      else if (error.code === 'EACCES' || error.code === 'EPERM') reject(new UserError(`the control socket ${path} belongs to another user (${error.code}); check the data dir's owner`));
      else reject(new UserError(`cannot check the control socket ${path}: ${error.message}`));
    });
  });
}

async function removeStaleSocket(dataDir: string, path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!isSocket) throw new UserError(`${path} exists and is not a socket; remove it, inboxguard creates its control socket there`);
  if (await socketAnswers(path)) throw alreadyRunning(dataDir, path);
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Binds in a 0700 directory, narrows the socket to 0600, then gives it its public name; returns its inode. */
async function bindPrivately(server: Server, dataDir: string, path: string): Promise<number> {
  const privateDir = mkdtempSync(join(dataDir, '.control-'));
  try {
    const bound = join(privateDir, 's');
    checkSocketPathLength(bound);
    await listen(server, bound);
    try {
      chmodSync(bound, 0o600);
      linkSync(bound, path);
    } catch (error) {
      await closeServer(server);
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw alreadyRunning(dataDir, path);
      throw error;
    }
    return statSync(path).ino;
  } finally {
    rmSync(privateDir, { recursive: true, force: true });
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
