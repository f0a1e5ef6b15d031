import { Option, type Command } from 'commander';
import { formatHostPort, parseHostPort } from '../config/address.js';
import { defaultsForUpstreamPort } from '../config/port-defaults.js';
import { listenerSchema, type ListenerConfig, type TlsPorts } from '../config/schema.js';
import { UserError } from '../user-error.js';

export interface ListenerFlags {
  name?: string;
  listen?: string;
  upstream: string;
  protocol?: string;
  tls?: string;
  upstreamTls?: string;
  upstreamCa?: string;
  allowRemote?: boolean;
}

export function addListenerFlags(command: Command, upstreamRequired: boolean): Command {
  const upstream = '--upstream <host:port>';
  const upstreamHelp = 'the real mail server, e.g. imap.example.com:993';
  return (upstreamRequired ? command.requiredOption(upstream, upstreamHelp) : command.option(upstream, upstreamHelp))
    .option('--listen <host:port>', 'where mail clients connect (default 127.0.0.1 and a port derived from the upstream port, e.g. 10993)')
    .addOption(new Option('--protocol <protocol>', 'imap, pop3, or auto (from the server greeting)').choices(['imap', 'pop3', 'auto']))
    .addOption(new Option('--tls <mode>', 'client side: implicit, starttls or none').choices(['implicit', 'starttls', 'none']))
    .addOption(new Option('--upstream-tls <mode>', 'server side: implicit, starttls or none').choices(['implicit', 'starttls', 'none']))
    .option('--upstream-ca <file>', 'extra CA certificate (PEM) trusted for the upstream, e.g. a test server')
    .option('--allow-remote', 'allow listening on a non-loopback address');
}

/** A validated listener from command-line flags, with defaults taken from the upstream port. */
export function listenerFromFlags(flags: ListenerFlags, tlsPorts?: TlsPorts): ListenerConfig {
  let upstreamPort: number;
  try {
    upstreamPort = parseHostPort(flags.upstream).port;
  } catch (error) {
    throw new UserError(`--upstream: ${(error as Error).message}`);
  }
  const defaults = defaultsForUpstreamPort(upstreamPort, tlsPorts);
  const candidate = {
    name: flags.name ?? `listener-${upstreamPort}`,
    listen: flags.listen ?? formatHostPort({ host: '127.0.0.1', port: defaults.listenPort }),
    protocol: flags.protocol ?? defaults.protocol,
    tls: flags.tls ?? defaults.tls,
    upstream: flags.upstream,
    upstreamTls: flags.upstreamTls ?? defaults.upstreamTls,
    ...(flags.upstreamCa ? { upstreamCa: flags.upstreamCa } : {}),
    allowRemote: flags.allowRemote ?? false,
  };
  const result = listenerSchema.safeParse(candidate);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UserError(`${issue.path.length > 0 ? `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ` : ''}${issue.message}`);
  }
  return result.data;
}
