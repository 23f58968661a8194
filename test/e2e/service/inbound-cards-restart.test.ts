import { afterEach, describe, expect, it } from 'vitest';
import type { DoubleCall } from '../../../src/doubles/bitrix24/portal-state.ts';
import { runAgi } from '../../integration/fastagi/agi-client.ts';
import { startService, waitFor, type Service } from './harness.ts';

/** The connector restarted while an inbound call's group rings: the card it showed before is still hidden, the call finished right. */

let service: Service | null = null;
afterEach(async () => {
  await service?.close();
  service = null;
});

function environment(args: readonly string[], linkedid: string): string {
  return [
    'agi_network: yes', 'agi_network_script: inbound', 'agi_request: agi://127.0.0.1:4573/inbound', 'agi_channel: PJSIP/trunk-00000001',
    'agi_type: PJSIP', `agi_uniqueid: ${linkedid}`, 'agi_version: 22.10.1', 'agi_callerid: 79161230066', 'agi_context: connector-inbound',
    ...args.map((a, i) => `agi_arg_${i + 1}: ${a}`), '', '',
  ].join('\n');
}

function step(s: Service, args: readonly string[], linkedid: string): Promise<string> {
  return runAgi(s.connector.agiPort, environment(args, linkedid)).then((r) => r.set.INBOUND ?? '');
}

function crmCall(s: Service, linkedid: string): DoubleCall | undefined {
  return [...s.bitrix24.state.calls.values()].find((c) => c.EXTERNAL_CALL_ID === linkedid);
}

function usersOf(s: Service, method: string): string[] {
  return s.bitrix24.callsOf(method).filter((c) => c.status === 200).map((c) => Object.values(c.params.USER_ID as Record<string, string>).join(','));
}

describe('inbound CRM cards across a connector restart', () => {
  it('user 3 rang before the restart, user 6 after it and answered: 3\'s card is hidden, the call finished with 6', async () => {
    service = await startService({ trunks: [] });
    const s = service;
    const id = '1764666300.1';
    // The shipped support line: its ordered group rings user 3 (extension 102), then user 6.
    const first = await step(s, ['74951234599', '', '', id], id);
    await waitFor('the card shown to user 3', () => usersOf(s, 'telephony.externalcall.show').includes('3'));
    await s.restartConnector();
    const second = await step(s, ['74951234599', first.split('|')[4] ?? '', 'NOANSWER', id], id);
    expect(second.split('|')[0]).toBe('dial');
    await step(s, ['', '@answered', 'PJSIP/300-0000002a', id], id);
    await step(s, ['74951234599', '@end', '', id], id);
    await waitFor('the call finished', () => crmCall(s, id)?.finished != null);
    expect(usersOf(s, 'telephony.externalcall.show')).toEqual(['3', '6']);
    expect(usersOf(s, 'telephony.externalcall.hide')).toEqual(['3']);
    expect(crmCall(s, id)?.finished).toMatchObject({ USER_ID: '6', STATUS_CODE: '200' });
  });
});
