import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { amiGet } from '../../../src/adapters/asterisk/ami/codec.ts';
import { originateClickToCall } from '../../../src/app/calls/click-to-call.ts';
import { pbxHarness, type PbxHarness } from './pbx-harness.ts';

const CONF = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../asterisk/extensions_connector.conf');

/** Priority → application (and the variable a Set assigns) of the route loop in [connector-route], as Asterisk numbers them. */
function shippedPriorities(): Map<number, string> {
  const text = fs.readFileSync(CONF, 'utf8');
  const section = text.slice(text.indexOf('[connector-route]'), text.indexOf('exten => T,1'));
  const out = new Map<number, string>();
  let priority = 0;
  for (const line of section.split('\n')) {
    const m = /^\s*(?:exten => _\[\+0-9\]X\.,1|same => n(?:\([a-z]+\))?),([A-Za-z]+)\((.*)\)\s*$/.exec(line);
    if (!m) continue;
    priority += 1;
    out.set(priority, m[1] === 'Set' ? `Set ${(m[2] ?? '').split('=')[0]}` : (m[1] ?? ''));
  }
  return out;
}

let p: PbxHarness | null = null;
afterEach(async () => {
  await p?.close();
  p = null;
});

it('the PBX double plays asterisk/extensions_connector.conf priority by priority, ROUTE split into its variables', async () => {
  p = await pbxHarness();
  const h = p.h;
  await originateClickToCall({
    store: h.store, routing: h.routing, originator: p.ami, clock: h.clock, logger: h.log.logger, newId: () => 'sd1',
    channelTemplate: 'Local/{extension}@phones', context: 'connector-outbound', timeoutMs: 3000, channels: h.service.channels,
  }, { crmCallId: 'sd1', userId: '12', extension: '100', number: '+79160000001', numberIsInternational: true, origin: 'crm', line: null });
  const [r] = await p.ended(1);
  expect(r?.attempts.map((a) => a.dialStatus)).toEqual(['CONGESTION', 'ANSWER']);
  const shipped = shippedPriorities();
  const played = p.pbx.events
    .filter((e) => amiGet(e, 'Event') === 'Newexten' && amiGet(e, 'Context') === 'connector-outbound' && amiGet(e, 'Exten') === '79160000001')
    .map((e) => {
      const app = amiGet(e, 'Application') ?? '';
      return [Number(amiGet(e, 'Priority')), app === 'Set' ? `Set ${(amiGet(e, 'AppData') ?? '').split('=')[0]}` : app] as const;
    });
  expect(played.length).toBeGreaterThan(20);
  for (const [priority, app] of played) expect([priority, app]).toEqual([priority, shipped.get(priority)]);
  // The answer arrived as one ROUTE and was split with CUT() into the variables Dial reads.
  expect(played.filter(([, app]) => app === 'Set ROUTE_DIAL')).toHaveLength(4);
  const sets = p.pbx.events.filter((e) => amiGet(e, 'Event') === 'VarSet' && amiGet(e, 'Variable') === 'ROUTE_DIAL').map((e) => amiGet(e, 'Value'));
  expect(sets).toEqual(['', 'Local/79160000001@trunk-congestion', '', 'Local/79160000001@trunk-answer']);
});
