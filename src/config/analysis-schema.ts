// The `analysis` section (#14, #18): stage-2 backends, what is submitted to them, how long a message is
// held, what a late verdict does on the server, and the optional Redis link that shares verdicts.
import { z } from 'zod';
import { parseDuration } from '../duration.js';

const MiB = 1024 * 1024;

/** The detected types a part can be submitted for (scan/ maps a part's true file type onto these). */
export const SUBMIT_TYPES = ['office-macro', 'pdf-javascript', 'archive', 'executable', 'script', 'disk-image'] as const;
export type SubmitType = (typeof SUBMIT_TYPES)[number];

const backendCommon = {
  /** The backend's name in results, rules (`engine: analysis:NAME`) and events. */
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a name of letters, digits, - and _'),
  timeoutSeconds: z.number().positive().default(60),
  maxConcurrent: z.number().int().positive().default(2),
};

const icapBackend = z
  .object({
    ...backendCommon,
    type: z.literal('icap'),
    /** icap://host:port/service */
    url: z.string().regex(/^icap:\/\/[^/\s]+\/\S*$/, 'an address like icap://127.0.0.1:1344/avscan'),
    /** 'server': the Preview size the service offers; 'off': no preview; a number: that many bytes. */
    preview: z.union([z.literal('server'), z.literal('off'), z.number().int().nonnegative()]).default('server'),
  })
  .strict();

const commandBackend = z
  .object({
    ...backendCommon,
    type: z.literal('command'),
    /** Program and arguments, no shell; `{file}` stands for the 0600 temporary copy of the part. */
    command: z.array(z.string().min(1)).min(2),
  })
  .strict();

export const analysisBackendSchema = z.discriminatedUnion('type', [icapBackend, commandBackend]);

const duration = z.string().refine((text) => {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}, 'a duration like 30s, 15m, 1h, 30d or 2w');

export const analysisSchema = z
  .object({
    /** Empty: no stage 2; every other analysis setting is then unused. */
    backends: z.array(analysisBackendSchema).default([]),
    submit: z
      .object({
        types: z.array(z.enum(SUBMIT_TYPES)).default([...SUBMIT_TYPES]),
        minBytes: z.number().int().nonnegative().default(0),
        maxBytes: z.number().int().positive().default(32 * MiB),
        /** Parts stage 1 found suspicious are always submitted. */
        suspicious: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** The least stage-2 verdict that blocks: `suspicious` blocks suspicious and malicious. */
    block: z.enum(['malicious', 'suspicious']).default('suspicious'),
    /** Longest an IMAP response is held for a verdict (POP3: pop3.maxHoldSeconds at most). */
    maxWaitSeconds: z.number().positive().default(120),
    /** What goes out when the maximum wait is reached; analysis goes on either way. */
    onTimeout: z.enum(['deliver', 'block']).default('deliver'),
    /** A clean verdict spares a part stage 2 for this long. */
    cleanTtl: duration.default('7d'),
    /** What a blocking late verdict does to a released IMAP message on the server. */
    remediate: z.enum(['move', 'flag', 'none']).default('move'),
    quarantineFolder: z.string().min(1).default('InboxGuard Quarantine'),
    /** Verdicts shared between machines (#18); absent: this machine's state.db only. */
    share: z
      .object({
        /** redis://[user:pass@]host:6379/0 or rediss://… */
        redis: z.string().regex(/^rediss?:\/\//, 'an address like redis://127.0.0.1:6379/0').optional(),
        /** A file holding the Redis password (instead of one in the address). */
        passwordFile: z.string().min(1).optional(),
        /** For rediss://: a PEM file of CA certificates trusted besides the system store. */
        caFile: z.string().min(1).optional(),
        stream: z.string().min(1).default('inboxguard:verdicts'),
        /** The stream is trimmed to about this many entries. */
        maxLength: z.number().int().positive().default(100_000),
        /** Verdicts waiting to be published while Redis is unreachable (kept in state.db). */
        maxQueued: z.number().int().positive().default(10_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export type AnalysisConfig = z.output<typeof analysisSchema>;
export type AnalysisBackendConfig = z.output<typeof analysisBackendSchema>;
