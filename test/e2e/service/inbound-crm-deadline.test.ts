import { afterEach, describe, expect, it } from 'vitest';
import type { DoubleCall } from '../../../src/doubles/bitrix24/portal-state.ts';
import { runAgi } from '../../integration/fastagi/agi-client.ts';
import { startService, waitFor, type Service } from './harness.ts';

/**
 * The CRM writes of a ringing inbound call (register, show) never hold the call: the dialplan's
 * step answers come from the rules alone, so a portal that hangs or refuses (its rate limit) only
 * delays the card; the writes wait in the durable outbox and land once the portal answers.
 */

let service: Service | null = null;
afterEach(async () => {
  await service?.close();
  service = null;
});

function environment(args: readonly string[], linkedid: string): string {
  return [
    'agi_network: yes', 'agi_network_script: inbound', 'agi_request: agi://127.0.0.1:4573/inbound', 'agi_channel: PJSIP/trunk-00000001',
    'agi_type: PJSIP', `agi_uniqueid: ${linkedid}`, 'agi_version: 22.10.1', 'agi_callerid: 79161230055', 'agi_context: connector-inbound',
    ...args.map((a, i) => `agi_arg_${i + 1}: ${a}`), '', '',
  ].join('\n');
}

/** The shipped support line: its ordered group rings user 3, then user 6, then employee 3, then hangs up. */
async function walkSupportCall(s: Service, linkedid: string): Promise<string[]> {
  const port = s.connector.agiPort;
  const actions: string[] = [];
  let state = '';
  let result = '';
  for (;;) {
    const r = await runAgi(port, environment(['74951234599', state, result, linkedid], linkedid));
    const [action, , , , next] = (r.set.INBOUND ?? '').split('|');
    actions.push(action ?? '');
    state = next ?? '';
    if (state === '') break;
    result = 'NOANSWER';
  }
  await runAgi(port, environment(['74951234599', '@end', '', linkedid], linkedid));
  return actions;
}

function crmCallOf(s: Service, linkedid: string): DoubleCall | undefined {
  return [...s.bitrix24.state.calls.values()].find((c) => c.EXTERNAL_CALL_ID === linkedid);
}

describe('inbound calls do not wait for Bitrix24', () => {
  it('the portal hangs: the call walks its whole scenario at once; register, cards and finish land when the portal answers again', async () => {
    service = await startService({ trunks: [], bitrix24: { rateLimit: { burst: 50, drainPerSecond: 2 }, latencyMs: 50 }, env: { B24_HTTP_TIMEOUT_MS: '400' } });
    const s = service;
    await s.bitrix24.setOutage('hang');
    expect(await walkSupportCall(s, '1764666100.1')).toEqual(['dial', 'dial', 'dial', 'hangup']);
    expect(crmCallOf(s, '1764666100.1')).toBeUndefined();
    await s.bitrix24.setOutage('none');
    await waitFor('the inbound call finished in Bitrix24', () => crmCallOf(s, '1764666100.1')?.finished != null, 30_000);
    expect(crmCallOf(s, '1764666100.1')).toMatchObject({ TYPE: 2, USER_ID: '3' });
    const shown = s.bitrix24.callsOf('telephony.externalcall.show').filter((c) => c.status === 200).map((c) => Object.values(c.params.USER_ID as Record<string, string>).join(','));
    expect(shown).toEqual(['3', '6', '3']);
  });

  it("the portal's rate limit is spent: the call goes on; the writes are refused (QUERY_LIMIT_EXCEEDED), retried, and land", async () => {
    let now = Date.now();
    service = await startService({ trunks: [], bitrix24: { rateLimit: { burst: 50, drainPerSecond: 2 }, clock: () => now } });
    const s = service;
    // Someone else (another app on the same portal) spent the bucket.
    for (let i = 0; i < 50; i++) await fetch(`${s.bitrix24.restUrl}telephony.externalLine.get`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ auth: s.bitrix24.portal.accessToken }) });
    expect(await walkSupportCall(s, '1764666200.1')).toEqual(['dial', 'dial', 'dial', 'hangup']);
    await waitFor('a write refused by the rate limit', () => s.bitrix24.received.some((r) => r.status === 503), 20_000);
    now += 60_000; // the bucket drains
    await waitFor('the inbound call finished in Bitrix24', () => crmCallOf(s, '1764666200.1')?.finished != null, 30_000);
    expect(s.bitrix24.callsOf('telephony.externalcall.register').filter((c) => c.status === 200)).toHaveLength(1);
  });
});
