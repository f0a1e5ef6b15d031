import { z } from 'zod';
import { DEFAULT_RULES } from '../rules/defaults.js';
import { ensureIds } from '../rules/ensure-ids.js';
import { parseRules, RuleError } from '../rules/parse-rules.js';
import { TLS_MODES } from '../types/tls-mode.js';
import { ENGINE_NAMES } from '../types/verdict.js';
import { isLoopbackHost, parseHostPort } from './address.js';
import { parseIpExclusion } from './ip-exclusion-entry.js';
import { analysisSchema } from './analysis-schema.js';

const hostPort = (allowAnyPort: boolean) =>
  z.string().superRefine((value, ctx) => {
    try {
      parseHostPort(value, allowAnyPort);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });

const MiB = 1024 * 1024;

/** A layer's rules: the shipped defaults when the setting is absent; an explicit [] means no rules. */
const ruleList = (where: string) =>
  z
    .array(z.unknown())
    .default(() => structuredClone([...DEFAULT_RULES]))
    .superRefine((raw, ctx) => {
      try {
        // Rules written by hand may lack ids; they get theirs when the file is loaded for use.
        parseRules(ensureIds(raw).rules, where);
      } catch (error) {
        if (!(error instanceof RuleError)) throw error;
        if (error.index === undefined) return ctx.addIssue({ code: 'custom', message: error.message });
        // The path already names the list and position: keep the rule's name and the problem.
        const message = error.message.slice(`${where}[${error.index}]`.length).replace(/^:?\s*/, '');
        ctx.addIssue({ code: 'custom', path: [error.index], message });
      }
    });

const ipExclusion = z.string().superRefine((value, ctx) => {
  const parsed = parseIpExclusion(value);
  if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
});

const applicationExclusion = z
  .string()
  .refine((value) => value.trim() !== '', 'an application is an executable path, an executable name or an IMAP ID name, not empty');

const portList = (defaults: number[]) =>
  z
    .array(z.number().int('a port is a whole number').min(1, 'ports are 1-65535').max(65535, 'ports are 1-65535'))
    .default(() => [...defaults]);

export const DEFAULT_TLS_PORTS = { imaps: [585, 993], pop3s: [995] } as const;

const tlsModeSchema = z.enum(TLS_MODES);
export const protocolSchema = z.enum(['imap', 'pop3', 'auto']);

export const listenerSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'use letters, digits, ".", "_" or "-" (at most 64)'),
    /** Port 0 picks a free port (tests). */
    listen: hostPort(true),
    protocol: protocolSchema.default('auto'),
    tls: tlsModeSchema.default('implicit'),
    upstream: hostPort(false),
    upstreamTls: tlsModeSchema.default('implicit'),
    /** Extra CA certificate (PEM file) trusted for this upstream, besides the system store. */
    upstreamCa: z.string().min(1).optional(),
    /** Skips upstream certificate verification. Logged as a warning on every connection. */
    insecureSkipVerify: z.boolean().default(false),
    /** Required to listen on a non-loopback address. */
    allowRemote: z.boolean().default(false),
  })
  .strict()
  .superRefine((listener, ctx) => {
    if (listener.tls === 'starttls' && listener.upstreamTls === 'none') {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message: 'tls: starttls needs a TLS upstream (upstreamTls: implicit or starttls); a client STARTTLS over a plaintext upstream would be a downgrade',
      });
    }
    try {
      if (!listener.allowRemote && !isLoopbackHost(parseHostPort(listener.listen, true).host)) {
        ctx.addIssue({
          code: 'custom',
          path: ['listen'],
          message: `${listener.listen} is not a loopback address; set allowRemote: true (or --allow-remote) to accept connections from other machines`,
        });
      }
    } catch {
      // reported by the listen field itself
    }
  });

export const configSchema = z
  .object({
    listeners: z.array(listenerSchema).default([]),
    /** false: mail transport protection off for every connection; the relay keeps running. */
    enabled: z.boolean().default(true),
    protocols: z
      .object({ imap: z.boolean().default(true), imaps: z.boolean().default(true), pop3: z.boolean().default(true), pop3s: z.boolean().default(true) })
      .strict()
      .default({ imap: true, imaps: true, pop3: true, pop3s: true }),
    exclusions: z
      .object({ applications: z.array(applicationExclusion).default([]), ips: z.array(ipExclusion).default([]) })
      .strict()
      .prefault({}),
    /** Ports taken as implicit-TLS IMAP / POP3 where the protocol is inferred from a destination port. */
    tlsPorts: z
      .object({ imaps: portList([...DEFAULT_TLS_PORTS.imaps]), pop3s: portList([...DEFAULT_TLS_PORTS.pop3s]) })
      .strict()
      .prefault({}),
    scan: z
      .object({
        engines: z.array(z.enum(ENGINE_NAMES)).min(1).default(['builtin']),
        onError: z.enum(['pass', 'block']).default('pass'),
        memoryBufferBytes: z.number().int().positive().default(16 * MiB),
        maxMessageBytes: z.number().int().positive().default(256 * MiB),
        /** Messages scanned at the same time (each may hold up to maxMessageBytes in memory). */
        maxConcurrentScans: z.number().int().positive().default(2),
        /** Deadline of one message's scan, waiting for a slot included; then scan.onError decides (verdict timeout). */
        timeoutSeconds: z.number().positive().default(120),
        /** Extra directories of ClamAV-format signatures (.hdb .hsb .ndb) for the builtin engine; <data-dir>/signatures is always read. */
        signatureDirs: z.array(z.string()).default([]),
        clamd: z
          .object({
            /** host:port or the path of clamd's local socket. */
            address: z.string().min(1).default('127.0.0.1:3310'),
            timeoutSeconds: z.number().positive().default(30),
            maxConcurrent: z.number().int().positive().default(4),
            /** clamd's StreamMaxLength; larger files get the verdict too-large from clamd. */
            streamMaxLength: z.number().int().positive().default(25 * MiB),
          })
          .strict()
          .prefault({}),
        /** Scanned copies shared by the sessions of one account (a second connection does not download again); maxBytes 0: off. */
        sharedCopies: z
          .object({ maxBytes: z.number().int().nonnegative().default(64 * MiB), memoryBytes: z.number().int().nonnegative().default(16 * MiB) })
          .strict()
          .prefault({}),
        archive: z
          .object({
            maxDepth: z.number().int().positive().default(5),
            maxFiles: z.number().int().positive().default(1000),
            maxUnpackedBytes: z.number().int().positive().default(256 * MiB),
            maxRatio: z.number().positive().default(100),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    actions: z
      .object({
        /** Prefixed to the subject of a message whose parts were removed; empty for none. */
        subjectTag: z.string().default('[inboxguard: attachment removed]'),
        /** Add the X-InboxGuard header to clean messages too (changes their size). */
        markClean: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Kept in their YAML form so CLI edits write back what the user wrote; parsed by rules/ where used. */
    rules: z
      .object({ transport: ruleList('rules.transport'), mailboxScan: ruleList('rules.mailboxScan') })
      .strict()
      .prefault({}),
    imap: z.object({ keepaliveSeconds: z.number().positive().default(15) }).strict().default({ keepaliveSeconds: 15 }),
    pop3: z.object({ maxHoldSeconds: z.number().positive().default(20) }).strict().default({ maxHoldSeconds: 20 }),
    analysis: analysisSchema,
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.listeners.forEach((listener, index) => {
      if (seen.has(listener.name)) {
        ctx.addIssue({ code: 'custom', path: ['listeners', index, 'name'], message: `listener name "${listener.name}" is used twice` });
      }
      seen.set(listener.name, index);
    });
  });

export type Config = z.output<typeof configSchema>;
export type TlsPorts = Config['tlsPorts'];
export type ListenerConfig = z.output<typeof listenerSchema>;
export type ProtocolSetting = z.output<typeof protocolSchema>;
