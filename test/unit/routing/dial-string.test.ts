import { describe, expect, it } from 'vitest';
import { formatNumber, parseDialTemplate, renderDial } from '../../../src/core/routing/dial-string.ts';
import type { NumberFormat } from '../../../src/core/rules/model.ts';

describe('dial strings', () => {
  it.each<[string, NumberFormat, string | null]>([
    ['79261234567', 'national-8', '89261234567'],
    ['79261234567', 'e164', '+79261234567'],
    ['79261234567', 'e164-digits', '79261234567'],
    ['79261234567', 'national-10', '9261234567'],
    ['77011234567', 'national-8', '87011234567'],
    ['442079460958', 'national-8', '810442079460958'],
    ['442079460958', 'national-10', null],
  ])('%s in %s → %s', (digits, format, expected) => {
    expect(formatNumber(digits, format)).toBe(expected);
  });

  it('fills every macro', () => {
    const t = parseDialTemplate('PJSIP/{number}@gw;e={e164};d={digits};t={trunk}');
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    expect(renderDial(t.template, '89261234567', '79261234567', 'gsm-mts')).toBe('PJSIP/89261234567@gw;e=+79261234567;d=79261234567;t=gsm-mts');
  });

  it('reports unknown macros', () => {
    expect(parseDialTemplate('SIP/{hots}/{number}/{prot}')).toEqual({ ok: false, unknown: ['hots', 'prot'], missing: [] });
  });

  it("fills {host}, {port} and {server} from the trunk's settings once, as literal text", () => {
    const t = parseDialTemplate('PJSIP/+{number}@{host}:{port};via={server}', { host: 'sip.example.net', port: 5062, server: 'dialer-1' });
    expect(t).toEqual({ ok: true, template: ['PJSIP/+', { macro: 'number' }, '@sip.example.net:5062;via=dialer-1'] });
    if (!t.ok) return;
    expect(renderDial(t.template, '79261234567', '79261234567', 'sip')).toBe('PJSIP/+79261234567@sip.example.net:5062;via=dialer-1');
  });

  it('names the setting macros whose setting the trunk lacks', () => {
    expect(parseDialTemplate('PJSIP/{number}@{host}:{port}', { host: 'gw' })).toEqual({ ok: false, unknown: [], missing: ['port'] });
  });
});
