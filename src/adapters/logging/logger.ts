import pino, { type Logger } from 'pino';
import { terminalSafe } from '../../core/text/printable.ts';

export type { Logger };

/** Paths pino blanks out wherever they appear in a log object. */
const REDACT = [
  'secret', '*.secret', 'password', '*.password', 'token', '*.token',
  'access_token', '*.access_token', 'refresh_token', '*.refresh_token', 'application_token', '*.application_token',
  'auth', '*.auth', 'authorization', '*.authorization', '*.headers.authorization', 'webhookUrl', '*.webhookUrl',
  'clientSecret', '*.clientSecret', 'originalError', '*.originalError',
];

/** What HTTP clients hang on their errors: the request's config, headers and body carry tokens. */
const HTTP_BAGGAGE = ['config', 'request', 'response', 'headers', 'options'];

/** pino's error serializer (type, message, stack, cause, own fields) without an HTTP client's baggage. */
function serializeErr(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const out = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  for (const key of HTTP_BAGGAGE) delete out[key];
  return out;
}

/**
 * JSON logs on stdout; one child logger per call stamps call id, user and trunk on every line.
 * pino escapes C0 controls inside strings; the line hook escapes the rest (DEL, C1, bidi
 * overrides), so a value from outside never reaches a terminal tailing the log as a control.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  return pino(loggerOptions(level), destination);
}

/** The service logger's options (exported for the escaping bench). */
export function loggerOptions(level: string): pino.LoggerOptions {
  return { level, serializers: { err: serializeErr }, redact: { paths: REDACT, censor: '[redacted]' }, base: { svc: 'b24-pbx-connector' }, hooks: { streamWrite: terminalSafe } };
}

/** A logger that drops everything (tests, CLI). */
export const silentLogger: Logger = pino({ level: 'silent' });
