import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/logging/logger.ts';

describe('logs carry values from outside without their control characters', () => {
  it('escapes ESC, DEL, C1 and bidi overrides in messages, fields and errors; each line is still JSON with the value intact', () => {
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString('utf8'));
        cb();
      },
    });
    const hostile = '+7926\u001b[2J\u007f\u009b31m\u202e1234567';
    const logger = createLogger('info', sink as unknown as Parameters<typeof createLogger>[1]);
    logger.info({ number: hostile, nested: { reason: hostile } }, `click-to-call refused: ${hostile}`);
    logger.error({ err: new Error(`originate failed: ${hostile}`) }, 'failed');
    const text = chunks.join('');
// eslint-disable-next-line no-control-regex -- looking for control characters is the point
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    const [first, second] = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({ number: hostile, nested: { reason: hostile }, msg: `click-to-call refused: ${hostile}` });
    expect((second!.err as { message: string }).message).toBe(`originate failed: ${hostile}`);
  });
});
