// A deliberately naive POP3 client reader (strict CRLF, string based), independent of the engine's code,
// used to check what a client would make of the bytes the engine produced.

export interface DecodedReply {
  status: string;
  /** Un-stuffed lines of a multi-line reply joined with CRLF, each line ending included. */
  body?: string;
}

function isMultiLine(command: string): boolean {
  const [keyword = '', ...args] = command.trim().split(' ').filter((word) => word.length > 0);
  switch (keyword.toUpperCase()) {
    case 'RETR':
    case 'TOP':
    case 'CAPA':
      return true;
    case 'LIST':
    case 'UIDL':
    case 'AUTH':
      return args.length === 0;
    default:
      return false;
  }
}

/** Splits a client-bound stream into replies, one per command ("" stands for the greeting). */
export function decodeReplies(commands: string[], stream: string): DecodedReply[] {
  const replies: DecodedReply[] = [];
  let at = 0;
  const readLine = (): string => {
    const end = stream.indexOf('\r\n', at);
    if (end === -1) throw new Error(`incomplete line at ${at}: ${JSON.stringify(stream.slice(at, at + 80))}`);
    const line = stream.slice(at, end);
    at = end + 2;
    return line;
  };
  for (const command of commands) {
    const status = readLine();
    if (!status.startsWith('+OK') || !isMultiLine(command)) {
      replies.push({ status });
      continue;
    }
    let body = '';
    for (let line = readLine(); line !== '.'; line = readLine()) {
      body += (line.startsWith('.') ? line.slice(1) : line) + '\r\n';
    }
    replies.push({ status, body });
  }
  if (at !== stream.length) throw new Error(`unread bytes after the last reply: ${JSON.stringify(stream.slice(at, at + 80))}`);
  return replies;
}
