import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RulesStore } from '../../../src/adapters/rules/store.ts';
import { inboundErrors, inboundRules } from './support.ts';

describe('inbound.yaml validation', () => {
  it.each([
    ['a step of no known kind', `scenarios: [{ id: a, steps: [{ dance: 1 }] }]`, 'rules/inbound.yaml: scenarios[0].steps[0]: a step is one of'],
    ['a DID that is not a number', `numbers: [{ number: 'hello', scenario: a }]\nscenarios: [{ id: a, steps: [hangup] }]`, 'rules/inbound.yaml: numbers[0].number: invalid phone number "hello"'],
    ['a DID bound to an unknown scenario', `numbers: [{ number: '+74951234500', scenario: nope }]`, 'rules/inbound.yaml: numbers[0].scenario: unknown scenario "nope"'],
    ['a scenario id the dialplan cannot carry', `scenarios: [{ id: 'a|b', steps: [hangup] }]`, 'rules/inbound.yaml: scenarios[0].id: an id of letters, digits'],
    ['an unknown group', `scenarios: [{ id: a, steps: [{ group: g }] }]`, 'rules/inbound.yaml: scenarios[0].steps[0].group: unknown group "g"'],
    ['an IVR key to an unknown scenario', `scenarios: [{ id: a, steps: [{ ivr: { prompt: m, keys: { '1': b } } }] }]`, 'rules/inbound.yaml: scenarios[0].steps[0].ivr.keys.1: unknown scenario "b"'],
    ['an IVR key that is not a key', `scenarios: [{ id: a, steps: [{ ivr: { prompt: m, keys: { '12': a } } }] }]`, 'rules/inbound.yaml: scenarios[0].steps[0].ivr.keys.12: "12" is not one key'],
    ['a time of day out of range', `scenarios: [{ id: a, steps: [{ time: { ranges: [{ days: [mon], from: '25:00', to: '18:00' }] } }] }]`, 'rules/inbound.yaml: scenarios[0].steps[0].time.ranges[0].from: a time HH:MM (got "25:00")'],
    ['an external forward without a department', `scenarios: [{ id: a, steps: [{ external: '+79261234567' }] }]`, 'rules/inbound.yaml: scenarios[0].steps[0].external: scenario "a" forwards outside: it needs a department'],
    ['an unknown department', `scenarios: [{ id: a, department: 99, steps: [hangup] }]`, 'rules/inbound.yaml: scenarios[0].department: unknown department "99"'],
    ['a DID bound twice', `numbers: [{ number: '+74951234500', scenario: a }, { number: '84951234500', scenario: a }]\nscenarios: [{ id: a, steps: [hangup] }]`, 'rules/inbound.yaml: numbers[1].number: +74951234500 is bound twice'],
    ['a group strategy Asterisk has not', `groups: [{ id: g, strategy: fewestcalls, members: [1] }]`, 'rules/inbound.yaml: groups[0].strategy'],
  ])('%s is refused, naming file, path and value', (_what, yaml, message) => {
    expect(inboundErrors(yaml).join('\n')).toContain(message);
  });

  it('DIDs in any usual form are stored in E.164', () => {
    const rules = inboundRules(`numbers: [{ number: '8 (495) 123-45-00', scenario: a }]\nscenarios: [{ id: a, steps: [hangup] }]`);
    expect(rules.inbound.rules.numbers[0]?.number).toBe('+74951234500');
  });

  it('an invalid inbound.yaml is refused on reload and the running scenarios stay', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-inbound-'));
    try {
      fs.writeFileSync(path.join(dir, 'trunks.yaml'), 'trunks: []\n');
      fs.writeFileSync(path.join(dir, 'inbound.yaml'), `numbers: [{ number: '+74951234500', scenario: a }]\nscenarios: [{ id: a, steps: [hangup] }]\n`);
      const store = RulesStore.open(dir);
      fs.writeFileSync(path.join(dir, 'inbound.yaml'), `numbers: [{ number: '+74951234500', scenario: b }]\nscenarios: [{ id: a, steps: [hangup] }]\n`);
      const reload = store.reload();
      expect(reload.ok).toBe(false);
      expect(reload.errors.join('\n')).toContain(`${path.join(dir, 'inbound.yaml')}: numbers[0].scenario: unknown scenario "b"`);
      expect(store.current().inbound.numberByDigits.get('74951234500')?.scenario).toBe('a');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
