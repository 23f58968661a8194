import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths pino blanks out wherever they appear in a log object. */
const REDACT = [
  'secret', '*.secret', 'password', '*.password', 'token', '*.token',
  'access_token', '*.access_token', 'refresh_token', '*.refresh_token', 'application_token', '*.application_token',
  'auth', '*.auth', 'authorization', '*.authorization', '*.headers.authorization', 'webhookUrl', '*.webhookUrl',
  'clientSecret', '*.clientSecret', 'originalError', '*.originalError',
];

/** JSON logs on stdout; one child logger per call stamps call id, user and trunk on every line. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { svc: 'b24-pbx-connector' } }, destination);
}

/** A logger that drops everything (tests, CLI). */
export const silentLogger: Logger = pino({ level: 'silent' });
