// The self-test's POP3 client: a minimal RFC 1939 dialogue over node's tls/net (STLS per RFC 2595 when
// the listener asks for it): USER, PASS, RETR of every message, QUIT. The certificate is verified.
import net from 'node:net';
import tls from 'node:tls';
import { LineReader } from '../line-reader.js';
import { SELF_TEST_SERVER_NAME, type ProxyEndpoint } from './fetch-imap.js';
import { SELF_TEST_USER } from './test-messages.js';

const ANSWER_TIMEOUT_MS = 30_000;

export async function fetchWithPop3(endpoint: ProxyEndpoint, count: number): Promise<Buffer[]> {
  const secureOptions = { ca: endpoint.caPem, servername: SELF_TEST_SERVER_NAME, rejectUnauthorized: true };
  let socket: net.Socket = endpoint.tls === 'implicit' ? await connected(tls.connect({ host: '127.0.0.1', port: endpoint.port, ...secureOptions }), 'secureConnect') : await connected(net.connect({ host: '127.0.0.1', port: endpoint.port }), 'connect');
  try {
    let reader = new LineReader(socket, ANSWER_TIMEOUT_MS);
    const command = async (line: string): Promise<string> => {
      socket.write(`${line}\r\n`);
      return expectOk(await reader.line(), line.split(' ')[0]);
    };
    expectOk(await reader.line(), 'greeting');
    if (endpoint.tls === 'starttls') {
      await command('STLS');
      reader.detach();
      socket = await connected(tls.connect({ socket, ...secureOptions }), 'secureConnect');
      reader = new LineReader(socket, ANSWER_TIMEOUT_MS);
    }
    await command(`USER ${SELF_TEST_USER.user}`);
    await command(`PASS ${SELF_TEST_USER.password}`);
    const messages: Buffer[] = [];
    for (let number = 1; number <= count; number++) {
      await command(`RETR ${number}`);
      messages.push(await reader.multiLine());
    }
    await command('QUIT');
    return messages;
  } finally {
    socket.destroy();
  }
}

function expectOk(line: string, what: string): string {
  if (!line.startsWith('+OK')) throw new Error(`${what} answered "${line.slice(0, 120)}"`);
  return line;
}

function connected<T extends net.Socket>(socket: T, event: 'connect' | 'secureConnect'): Promise<T> {
  return new Promise((resolve, reject) => {
    socket.once(event, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
