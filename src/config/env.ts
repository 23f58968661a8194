import fs from 'node:fs';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const ms = z.coerce.number().int().min(0);
const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

/**
 * Every configuration variable, validated once at start. The README and .env.example document
 * each. Secrets are marked so that config dumps never print them.
 */
export const envSchema = z.object({
  // storage and rules
  DATABASE_URL: z.string().default('./data/connector.sqlite'),
  RULES_DIR: z.string().default('./rules'),
  DEFAULT_COUNTRY: z.string().length(2).default('RU'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  // HTTP
  PORT: port.default(3000),
  HTTP_HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: z.string().url().optional(),
  ADMIN_TOKEN: z.string().min(16).optional(),

  // FastAGI
  AGI_HOST: z.string().default('0.0.0.0'),
  AGI_PORT: port.default(4573),
  /** Reply timeout of one FastAGI command (GET/SET VARIABLE). */
  AGI_COMMAND_TIMEOUT_MS: ms.default(3_000),
  /** Secret of the CURL() route endpoint (`GET /asterisk/route?token=`); unset = closed. */
  AGI_HTTP_TOKEN: z.string().min(16).optional(),
  /** Trunk id recorded for calls the dialplan failed open to (DECISIONS §10). */
  FAILOPEN_TRUNK: z.string().optional(),
  /** How often the call tracker writes in-flight state and ended calls. */
  TRACKER_FLUSH_MS: ms.default(200),
  // Also the age an open call nothing follows must reach before it is closed as unseen: a margin
  // for an Originate still on its way, so not less than a second.
  TRACKER_RECONCILE_MS: ms.min(1000).default(60_000),

  // AMI
  AMI_HOST: z.string().optional(),
  AMI_PORT: port.default(5038),
  AMI_USER: z.string().optional(),
  AMI_SECRET: z.string().optional(),
  AMI_ACTION_TIMEOUT_MS: ms.default(10_000),
  AMI_RECONNECT_MIN_MS: ms.default(1_000),
  AMI_RECONNECT_MAX_MS: ms.default(60_000),
  AMI_KEEPALIVE_MS: ms.default(30_000),
  ORIGINATE_CHANNEL: z.string().default('PJSIP/{extension}'),
  ORIGINATE_CONTEXT: z.string().default('connector-outbound'),
  ORIGINATE_TIMEOUT_MS: ms.default(30_000),

  // Bitrix24
  B24_MODE: z.enum(['app', 'webhook', 'off']).optional(),
  B24_CLIENT_ID: z.string().optional(),
  B24_CLIENT_SECRET: z.string().optional(),
  B24_WEBHOOK_URL: z.string().optional(),
  B24_APPLICATION_TOKEN: z.string().optional(),
  B24_PORTAL_DOMAIN: z.string().optional(),
  B24_MEMBER_ID: z.string().optional(),
  B24_USER_SYNC_CRON: z.string().default('*/15 * * * *'),
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(12),
  RECORDINGS_DIR: z.string().default('/var/spool/asterisk/monitor'),
  RECORD_URL_SECRET: z.string().optional(),
  RECORD_URL_TTL_S: z.coerce.number().int().min(60).default(86_400),
  B24_HTTP_TIMEOUT_MS: ms.default(30_000),
  B24_RATE_BURST: z.coerce.number().int().min(1).default(50),
  B24_RATE_PER_SEC: z.coerce.number().positive().default(2),
  OUTBOX_POLL_MS: ms.default(1_000),
  B24_MAX_DIAL_DELAY_S: z.coerce.number().int().min(1).default(60),
  // How far ahead of this host's clock a click's time may be (clocks drift; more is refused).
  B24_CLOCK_SKEW_S: z.coerce.number().int().min(0).default(30),
  // Housekeeping: done outbox entries and handled events older than this are deleted on this schedule.
  OUTBOX_KEEP_DONE_DAYS: z.coerce.number().int().min(1).default(30),
  OUTBOX_PURGE_CRON: z.string().default('40 3 * * *'),

  // demo
  DEMO: flag.optional(),
});

export type Env = z.infer<typeof envSchema>;

/** Names whose values must never be printed. */
export const SECRET_KEYS: readonly (keyof Env)[] = [
  'AMI_SECRET', 'B24_CLIENT_SECRET', 'B24_WEBHOOK_URL', 'B24_APPLICATION_TOKEN', 'ADMIN_TOKEN', 'RECORD_URL_SECRET', 'AGI_HTTP_TOKEN',
];

export class ConfigError extends Error {}

/**
 * Reads `.env` (if present) into process.env; variables already set in the environment win.
 * Node's own parser: no extra dependency.
 */
export function loadDotEnv(file = '.env'): void {
  if (fs.existsSync(file)) process.loadEnvFile(file);
}

/** Parses the environment; a bad value names the variable (never the value of a secret). */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Readonly<Env> {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = source[key];
    if (v !== undefined && v !== '') picked[key] = v;
  }
  const result = envSchema.safeParse(picked);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return Object.freeze(result.data);
}
