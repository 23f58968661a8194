import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/logging/logger.ts';

function captured(): { lines: () => Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const out: string[] = [];
  const logger = createLogger('info', { write: (s: string) => void out.push(s) });
  return { logger, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('errors are logged whole, without an HTTP client\'s request', () => {
  it('keeps type, message, stack, cause and own fields of an error', () => {
    const { logger, lines } = captured();
    const err = Object.assign(new TypeError('originate failed', { cause: new Error('socket closed') }), { code: 'ECONNRESET' });
    logger.error({ err }, 'failed');
    const logged = lines()[0]!.err as Record<string, unknown>;
    expect(logged).toMatchObject({ type: 'TypeError', code: 'ECONNRESET' });
    // pino appends the cause's message to the error's own.
    expect(logged.message).toBe('originate failed: socket closed');
    expect(String(logged.stack)).toContain('errors-whole.test.ts');
  });

  it('drops the config, headers and request an HTTP client hangs on its error: the token never reaches the log', () => {
    const { logger, lines } = captured();
    const err = Object.assign(new Error('Request failed with status code 503'), {
      status: 503,
      config: { url: 'https://portal.bitrix24.ru/rest/crm.lead.get', params: { auth: 'tOkEn-abc123' }, headers: { Authorization: 'Bearer tOkEn-abc123' } },
      request: { path: '/rest/crm.lead.get?auth=tOkEn-abc123' },
      response: { headers: { 'set-cookie': 'tOkEn-abc123' } },
    });
    logger.error({ err }, 'bitrix24 call failed');
    const line = lines()[0]!;
    expect(JSON.stringify(line)).not.toContain('tOkEn-abc123');
    expect(line.err).toMatchObject({ message: 'Request failed with status code 503', status: 503 });
  });

  it('logs a thrown value that is not an Error as it is', () => {
    const { logger, lines } = captured();
    logger.warn({ err: 'boom' }, 'odd failure');
    expect(lines()[0]!.err).toBe('boom');
  });
});
