// Each upstream: reachable in its TLS mode, its certificate valid for its name (verified the way the
// proxy verifies it: system store plus the listener's upstreamCa), and when that certificate expires.
import type { TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import type { ListenerConfig } from '../config/schema.js';
import { connectPlain, connectTls, upstreamTarget, UpstreamError } from '../proxy/upstream.js';
import { UserError } from '../user-error.js';
import { fail, pass, type CheckOutcome, type DoctorCheck } from './check.js';
import { LineReader } from './line-reader.js';

const ANSWER_TIMEOUT_MS = 10_000;

export const upstreamCheck: DoctorCheck = {
  id: 'upstream',
  needsConfig: true,
  async run({ config }) {
    const outcomes: CheckOutcome[] = [];
    for (const listener of config!.listeners) outcomes.push(await checkUpstream(listener));
    return outcomes;
  },
};

async function checkUpstream(listener: ListenerConfig): Promise<CheckOutcome> {
  const title = `upstream ${listener.upstream} (listener ${listener.name})`;
  let socket: Socket | undefined;
  try {
    const target = upstreamTarget(listener);
    if (listener.upstreamTls === 'implicit') {
      socket = await connectTls(target);
    } else {
      socket = await connectPlain(target);
      const reader = new LineReader(socket, ANSWER_TIMEOUT_MS);
      const greeting = await reader.line();
      if (listener.upstreamTls === 'none') return pass(title, `reachable without TLS (upstreamTls: none), greeting "${greeting.slice(0, 60)}"`);
      await requestStartTls(reader, socket, greeting);
      reader.detach();
      socket = await connectTls(target, socket);
    }
    return pass(title, `reachable, ${describeCertificate(socket as TLSSocket, listener)}`);
  } catch (error) {
    return fail(title, (error as Error).message, remedy(error as Error, listener));
  } finally {
    socket?.destroy();
  }
}

/** STARTTLS (IMAP, greeting "* OK") or STLS (POP3, greeting "+OK"), whichever the greeting shows. */
async function requestStartTls(reader: LineReader, socket: Socket, greeting: string): Promise<void> {
  if (greeting.startsWith('+OK')) {
    socket.write('STLS\r\n');
    const answer = await reader.line();
    if (!answer.startsWith('+OK')) throw new UpstreamError(`upstream refused STLS: ${answer.slice(0, 100)}`, 'tls');
    return;
  }
  socket.write('D1 STARTTLS\r\n');
  for (;;) {
    const answer = await reader.line();
    if (!answer.startsWith('D1 ')) continue;
    if (!/^D1 OK/i.test(answer)) throw new UpstreamError(`upstream refused STARTTLS: ${answer.slice(0, 100)}`, 'tls');
    return;
  }
}

function describeCertificate(socket: TLSSocket, listener: ListenerConfig): string {
  const certificate = socket.getPeerCertificate();
  const expiry = certificate.valid_to ? new Date(certificate.valid_to).toISOString().slice(0, 10) : 'unknown';
  const verified = listener.insecureSkipVerify ? 'NOT verified (insecureSkipVerify)' : `valid for ${socket.servername || listener.upstream.replace(/:\d+$/, '')}`;
  return `certificate ${verified}, expires ${expiry}`;
}

function remedy(error: Error, listener: ListenerConfig): string {
  if (error instanceof UserError) return `fix upstreamCa of listener ${listener.name}`;
  if (error instanceof UpstreamError && error.kind === 'certificate') {
    return `if the server uses a private CA, give it to the listener: upstreamCa: /path/ca.pem (listener ${listener.name})`;
  }
  if (error instanceof UpstreamError && error.kind === 'tls') return `check upstreamTls of listener ${listener.name} (implicit, starttls or none) against what the server offers`;
  return `check the host and port of listener ${listener.name} and your network`;
}
