// AMI wire parsing and the PBX double's event throughput. The parser figure is the ceiling for the
// connector's event intake from one Asterisk (a busy office emits a few thousand events a second);
// the double figure says how many full simulated calls per second tests and the demo can run.
import { AmiParser, encodeAmiMessage, type AmiField } from '../src/adapters/asterisk/ami/codec.ts';
import { startPbxDouble } from '../src/doubles/asterisk/index.ts';
import { channelBlock, newChannel } from '../src/doubles/asterisk/channel.ts';
import net from 'node:net';

const EVENTS = Number(process.env.AMI_BENCH_EVENTS ?? 500_000);
const CALLS = Number(process.env.AMI_BENCH_CALLS ?? 300);

function sampleEvents(): string {
  const ch = newChannel({ name: 'Local/100@phones-00000000;1', tech: 'Local', state: 6, context: 'connector-outbound', exten: '79160000001', uniqueid: 'c2c-o1-a' });
  ch.callerNum = '100';
  ch.callerName = 'Click-to-call';
  const kinds: AmiField[][] = [
    [['Event', 'VarSet'], ['Privilege', 'dialplan,all'], ...channelBlock(ch), ['Variable', 'DIALSTATUS'], ['Value', 'CONGESTION']],
    [['Event', 'Newexten'], ['Privilege', 'dialplan,all'], ...channelBlock(ch), ['Extension', '79160000001'], ['Application', 'Dial'], ['AppData', 'PJSIP/89160000001@gw-mts,40,b(connector-predial^s^1(74950000001))']],
    [['Event', 'Hangup'], ['Privilege', 'call,all'], ...channelBlock(ch), ['Cause', '16'], ['Cause-txt', 'Normal Clearing']],
  ];
  return kinds.map((k) => encodeAmiMessage(k)).join('');
}

function benchParser(): void {
  const unit = sampleEvents();
  const text = unit.repeat(Math.ceil(EVENTS / 3));
  const bytes = Buffer.byteLength(text);
  for (const chunk of [1460, 65_536]) {
    const p = new AmiParser();
    const t0 = process.hrtime.bigint();
    let n = 0;
    for (let i = 0; i < text.length; i += chunk) n += p.push(text.slice(i, i + chunk)).length;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`parser, ${chunk}-byte chunks: ${n} events, ${(bytes / 1e6).toFixed(1)} MB in ${s.toFixed(2)} s = ${Math.round(n / s).toLocaleString('en')} events/s, ${(bytes / 1e6 / s).toFixed(1)} MB/s`);
  }
}

async function benchDouble(): Promise<void> {
  // A route server that always dials a trunk that answers at once, then stops.
  const agi = net.createServer((s) => {
    let env = true;
    let buf = '';
    let step = 0;
    const cmds = ['SET VARIABLE ROUTE_ACTION "dial"', 'SET VARIABLE ROUTE_DIAL "PJSIP/1@gw"', 'SET VARIABLE ROUTE_TIMEOUT "30"'];
    s.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (env && line !== '') continue;
        env = false;
        if (step < cmds.length) s.write(`${cmds[step++]}\n`);
        else s.end();
      }
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => agi.listen(0, '127.0.0.1', () => r()));
  const port = (agi.address() as net.AddressInfo).port;
  const pbx = await startPbxDouble({ users: [], fastAgi: { host: '127.0.0.1', port }, trunks: [{ match: '*', outcome: { kind: 'answer', talkMs: 1000 } }], timeScale: 0 });
  const t0 = process.hrtime.bigint();
  const batch = 20;
  for (let i = 0; i < CALLS; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, CALLS - i) }, (_, j) => pbx.placeDeskCall('100', String(79160000000 + i + j)).finished));
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`PBX double: ${CALLS} desk calls (route request + answered Dial), ${pbx.events.length} events in ${s.toFixed(2)} s = ${Math.round(CALLS / s)} calls/s, ${Math.round(pbx.events.length / s).toLocaleString('en')} events/s`);
  await pbx.close();
  await new Promise<void>((r) => agi.close(() => r()));
}

export async function run(): Promise<void> {
  benchParser();
  await benchDouble();
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
