import fs from 'node:fs';
import { z } from 'zod';
import { parsePeerAllowlist } from '../adapters/asterisk/fastagi/peer-allowlist.ts';

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
  /** Percent of the active plan's (or ported set's) numbers an import may remove without --force. */
  IMPORT_MAX_SHRINK: z.coerce.number().min(0).max(100).default(10),
  DEFAULT_COUNTRY: z.string().length(2).default('RU'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  // HTTP
  PORT: port.default(3000),
  HTTP_HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: z.string().url().optional(),
  ADMIN_TOKEN: z.string().min(16).optional(),
  /** Proxies whose X-Forwarded-Proto/For are believed (express `trust proxy`): HTTPS → Secure console cookies. */
  TRUST_PROXY: z.string().min(1).default('loopback'),

  // FastAGI
  /** Loopback unless the PBX runs on another host (then its address, or 0.0.0.0 with AGI_ALLOW). */
  AGI_HOST: z.string().default('127.0.0.1'),
  AGI_PORT: port.default(4573),
  /** Peers allowed besides loopback: comma-separated addresses and CIDR blocks (the PBX hosts). */
  AGI_ALLOW: z.string().optional().superRefine((list, ctx) => {
    try {
      parsePeerAllowlist(list);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^AGI_ALLOW: /, '') });
    }
  }),
  /** When set, the dialplan's AGI URL must carry it: `agi://host:4573/route?secret=…`. */
  AGI_SECRET: z.string().min(16).optional(),
  /** Time allowed for one route decision; past it the dialplan fails open. Below the dialplan's own deadline. */
  AGI_ROUTE_DEADLINE_MS: ms.min(100).default(1_500),
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
  /** Several instances: how long a leader lease lasts unrenewed (fractions allowed; renewed every third of it). */
  LEADER_TTL_S: z.coerce.number().positive().default(15),
  /** Names the PBX in its leader lease (default AMI_HOST:AMI_PORT); set it when instances reach one PBX by different addresses. */
  PBX_NAME: z.string().min(1).optional(),
  /** SQLite: how often the newest rules version is looked for (PostgreSQL is told at once by NOTIFY). */
  RULES_POLL_MS: ms.min(10).default(2000),

  /**
   * The PBX's cdr_csv file (Master.csv, cdr.conf [csv] loguniqueid = yes): talk time of calls whose
   * end the connector did not see. Unset: such calls say their talk time is unknown.
   */
  CDR_CSV_PATH: z.string().min(1).optional(),

  /** Auto-dialer: how often the call cycle looks for free operators (0 = the dialer does not run here). */
  DIALER_TICK_MS: ms.default(1000),
  /** Auto-dialer: seconds an operator's phone rings before the operator is taken off line. */
  DIALER_OPERATOR_RING_S: z.coerce.number().int().min(5).max(120).default(20),

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
  /** Bitrix24's OAuth server: vouches for every install and refreshes the tokens (`/oauth/token/` under it). */
  B24_OAUTH_URL: z.string().url().default('https://oauth.bitrix.info'),
  /** Accept http:// and loopback portal endpoints (the doubles of tests and the demo); never in production. */
  B24_ALLOW_HTTP_LOOPBACK: flag.default(false),
  B24_USER_SYNC_CRON: z.string().default('*/15 * * * *'),
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(12),
  /** Bitrix24 user ids told of alerts by notification, comma-separated (empty: dashboard and /metrics only). */
  ALERT_B24_USERS: z.string().regex(/^\s*(\d+\s*(,\s*\d+\s*)*)?$/, 'comma-separated Bitrix24 user ids, e.g. 1,7').default(''),
  /** At most one notification per alert in this many minutes (conditions also send one when cleared). */
  ALERT_REPEAT_MIN: z.coerce.number().positive().default(15),
  /** AMI must stay down this long before it is an alert (a reconnect within it tells no one); 0: at once. */
  ALERT_AMI_GRACE_S: z.coerce.number().min(0).max(3600).default(30),
  /** How often the leader looks for alerts to tell (those another instance or the CLI stored); its own at once. */
  ALERT_POLL_MS: ms.min(10).default(5000),
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
  'AMI_SECRET', 'B24_CLIENT_SECRET', 'B24_WEBHOOK_URL', 'B24_APPLICATION_TOKEN', 'ADMIN_TOKEN', 'RECORD_URL_SECRET', 'AGI_HTTP_TOKEN', 'AGI_SECRET',
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
