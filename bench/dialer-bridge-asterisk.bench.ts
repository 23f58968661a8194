// On the real Asterisk 22 of ../shared/asterisk with the shipped extensions_connector.conf and
// extensions_dialer.conf (progressive): CALLS answered customers (lab trunk t1, talks 2 s) over
// OPERATORS lab operator phones (Local/1XX, answer at once, busy 3 s through a Custom: device
// state). Figure: the customer's answer (DialEnd ANSWER of the customer leg) → the held operator
// bridged (UserEvent DialerBridged), p50/p95 in Asterisk's own clock (timestampevents = yes);
// target p95 <= 2 s. Baseline beside it: the lab operator phone's own Dial, DialBegin → DialEnd
// ANSWER (what Asterisk needs to reach and answer that phone, with no connector in between).
// Settings: CALLS (default 40), OPERATORS (default 5).
import crypto from 'node:crypto';
import os from 'node:os';
import { labNumber, PbxTier } from '../test/pbx/harness.ts';
import { hasLab, LAB_SKIP_REASON } from '../test/pbx/lab-asterisk.ts';
import type { LabEvent } from '../test/pbx/lab-ami.ts';

const CALLS = Number(process.env.CALLS ?? 40);
const OPERATORS = Number(process.env.OPERATORS ?? 5);
const TOKEN = crypto.randomBytes(16).toString('hex');
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
const ts = (e: LabEvent | undefined): number => Number(e?.Timestamp ?? NaN) * 1000;

const PHONES = `
[lab-operator]
exten => _1XX,1,Set(DEVICE_STATE(Custom:op\${EXTEN})=INUSE)
 same => n,Set(CHANNEL(hangup_handler_push)=lab-operator-free,\${EXTEN},1)
 same => n,Answer()
 same => n,Wait(3)
 same => n,Hangup()

[lab-operator-free]
exten => _X.,1,Set(DEVICE_STATE(Custom:op\${EXTEN})=NOT_INUSE)
 same => n,Return()
`;

async function run(): Promise<void> {
  if (!hasLab) {
    console.log(`dialer-bridge-asterisk: ${LAB_SKIP_REASON}`);
    return;
  }
  const tier = await PbxTier.start({ env: { ADMIN_TOKEN: TOKEN, DIALER_TICK_MS: '100', DIALER_OPERATOR_RING_S: '5' }, extraDialplan: PHONES });
  try {
    const api = async (method: string, url: string, body?: unknown, type = 'application/json'): Promise<unknown> => {
      const res = await fetch(`${tier.baseUrl}/admin/dialer${url}`, {
        method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': type } : {}) },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      if (res.status !== 200) throw new Error(`${method} ${url}: HTTP ${res.status} ${await res.text()}`);
      return res.json();
    };
    const ops = Array.from({ length: OPERATORS }, (_, i) => String(101 + i));
    for (const ext of ops) {
      await tier.ami.action({ Action: 'Setvar', Variable: `DEVICE_STATE(Custom:op${ext})`, Value: 'NOT_INUSE' });
      await api('PUT', `/operators/${ext}`, { dial: `Local/${ext}@lab-operator`, stateDevice: `Custom:op${ext}` });
      await api('POST', `/operators/${ext}/online`);
    }
    // Scenario digits 10..(10+CALLS): every lead a distinct lab number that answers on t1.
    const numbers = Array.from({ length: CALLS }, (_, i) => labNumber(10 + (i % 90), ['answer']).replace(/^\+7900(\d\d)/, (_m, s: string) => `+79${String(i).padStart(2, '0').slice(-2)}${s}`));
    await api('PUT', '/campaigns/bench', { department: '10', operators: ops, mode: 'progressive', hours: '00:00-24:00' });
    await api('POST', '/campaigns/bench/leads', `${numbers.join('\n')}\n`, 'text/csv');
    console.log(`load average ${load()}, ${os.cpus().length} CPUs; ${CALLS} answered customers over ${OPERATORS} operators on the real Asterisk`);
    const t0 = Date.now();
    await api('POST', '/campaigns/bench/start');
    for (;;) {
      const c = await api('GET', '/campaigns/bench') as { progress: { leads: Record<string, number> } };
      if ((c.progress.leads.pending ?? 0) + (c.progress.leads.calling ?? 0) === 0) break;
      if (Date.now() - t0 > 10 * 60_000) throw new Error('the campaign did not finish in 10 minutes');
      await new Promise((r) => setTimeout(r, 500));
    }
    await api('POST', '/campaigns/bench/stop');
    const events = tier.ami.events;
    const bridged = events.filter((e) => e.UserEvent === 'DialerBridged');
    const total: number[] = [];
    const phone: number[] = [];
    for (const b of bridged) {
      const linkedid = `${b.CallId}-a`;
      const dials = events.filter((e) => e.Linkedid === linkedid && (e.Event === 'DialBegin' || e.Event === 'DialEnd'));
      const customerAnswer = dials.find((e) => e.Event === 'DialEnd' && e.DialStatus === 'ANSWER' && !(e.DestChannel ?? '').includes('@lab-operator'));
      const opBegin = dials.find((e) => e.Event === 'DialBegin' && (e.DestChannel ?? '').includes('@lab-operator'));
      const opAnswer = dials.find((e) => e.Event === 'DialEnd' && e.DialStatus === 'ANSWER' && (e.DestChannel ?? '').includes('@lab-operator'));
      if (customerAnswer) total.push(ts(b) - ts(customerAnswer));
      if (opBegin && opAnswer) phone.push(ts(opAnswer) - ts(opBegin));
    }
    total.sort((a, b) => a - b);
    phone.sort((a, b) => a - b);
    const f = (xs: number[], p: number) => pct(xs, p).toFixed(1);
    console.log(`${bridged.length} of ${CALLS} bridged in ${((Date.now() - t0) / 1000).toFixed(1)} s; customer answer → operator bridged: p50 ${f(total, 0.5)} ms, p95 ${f(total, 0.95)} ms, max ${f(total, 1)} ms over ${total.length} (target p95 <= 2000 ms)`);
    console.log(`  baseline, the operator phone's own Dial (DialBegin → answer): p50 ${f(phone, 0.5)} ms, p95 ${f(phone, 0.95)} ms over ${phone.length}; load average ${load()}`);
  } finally {
    await tier.stop();
  }
}

await run();
