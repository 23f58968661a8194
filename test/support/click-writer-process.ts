// Stores clicks the way the events endpoint does (event and call in one transaction, several at a
// time), telling its parent each CALL_ID once its transaction is committed — the moment the
// connector would reply 200 to Bitrix24. The parent kills it with SIGKILL mid-stream.
import crypto from 'node:crypto';
import { clickIntake } from '../../src/adapters/db/click-intake.ts';
import { openDb } from '../../src/adapters/db/connection.ts';
import type { NewCall } from '../../src/app/calls/ports.ts';

const db = openDb({ url: process.argv[2] as string });
const clicks = clickIntake(db);

async function storeOne(): Promise<void> {
  const now = Date.now();
  const callId = `externalCall.${crypto.randomBytes(16).toString('hex')}.${Math.floor(now / 1000)}`;
  const id = `c2c-${crypto.randomBytes(8).toString('hex')}`;
  const data = { CALL_ID: callId, USER_ID: '1', PHONE_NUMBER_INTERNATIONAL: '+79261234567', LINE_NUMBER: '', IS_MOBILE: '0' };
  const call: NewCall = {
    id, crmCallId: callId, channelId: `${id}-a`, linkedid: `${id}-a`, origin: 'crm', userId: '1', extension: '100', number: '+79261234567',
    numberE164: '+79261234567', line: null, state: 'planned', plan: null, refusalCode: null, refusalMessage: null, startedAt: now,
  };
  await clicks.store({ event: { event: 'ONEXTERNALCALLSTART', eventKey: callId, data, ts: Math.floor(now / 1000) }, receivedAt: now, call });
  process.send?.({ type: 'stored', callId });
}

process.send?.({ type: 'ready' });
// Four writers at once, so transactions are shared; until killed.
await Promise.all([0, 1, 2, 3].map(async () => {
  for (;;) await storeOne();
}));
