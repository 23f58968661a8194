import { describe, expect, it } from 'vitest';
import type { B24Gateway, RestOutcome } from '../../../src/adapters/bitrix24/gateway.ts';
import { restFailure } from '../../../src/adapters/bitrix24/errors.ts';
import { bitrix24Notifier } from '../../../src/app/alerts/b24-notifier.ts';

/** A gateway answering im.notify.system.add from a script, one answer per call. */
function scripted(answers: RestOutcome[]): { gateway: B24Gateway; calls: Record<string, unknown>[] } {
  const calls: Record<string, unknown>[] = [];
  const gateway: B24Gateway = {
    async call(method, params = {}) {
      calls.push({ method, ...params });
      return answers.shift() ?? { ok: true, result: 1, more: false, total: 0 };
    },
    async batch() {
      throw new Error('not used');
    },
  };
  return { gateway, calls };
}

const waits: number[] = [];
const wait = async (ms: number): Promise<void> => { waits.push(ms); };

describe('Bitrix24 alert notifier', () => {
  it('sends one system notification per configured user, tagged by the alert', async () => {
    const { gateway, calls } = scripted([]);
    await bitrix24Notifier({ gateway: () => gateway, userIds: ['1', '7'], wait }).send('ALERT ami-down', 'ami-down');
    expect(calls).toEqual([
      { method: 'im.notify.system.add', USER_ID: '1', MESSAGE: 'ALERT ami-down', TAG: 'b24pbx-alert:ami-down' },
      { method: 'im.notify.system.add', USER_ID: '7', MESSAGE: 'ALERT ami-down', TAG: 'b24pbx-alert:ami-down' },
    ]);
  });

  it('tries a transient failure again, gives up on a permanent one, and says which user was not told', async () => {
    waits.length = 0;
    const { gateway, calls } = scripted([
      { ok: false, error: restFailure('INTERNAL_SERVER_ERROR', 'down', 503) },
      { ok: true, result: 5, more: false, total: 0 },
      { ok: false, error: restFailure('USER_ID_EMPTY', 'Recipient user ID not specified', 400) },
    ]);
    const sending = bitrix24Notifier({ gateway: () => gateway, userIds: ['1', '99'], wait }).send('x', 'k');
    await expect(sending).rejects.toThrow('im.notify.system.add failed for user 99: USER_ID_EMPTY Recipient user ID not specified');
    expect(calls.map((c) => c.USER_ID)).toEqual(['1', '1', '99']);
    expect(waits).toEqual([1000]);
  });

  it('with no portal connected, fails with that reason', async () => {
    await expect(bitrix24Notifier({ gateway: () => null, userIds: ['1'], wait }).send('x', 'k')).rejects.toThrow('no Bitrix24 portal is connected');
  });
});
