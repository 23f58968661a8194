import { describe, expect, it } from 'vitest';
import { ipKey, SignInThrottle } from '../../../src/core/security/sign-in-throttle.ts';

const limits = {
  perAccount: { failures: 3, windowMs: 60_000, blockMs: 300_000 },
  perIp: { failures: 5, windowMs: 60_000, blockMs: 600_000 },
};

describe('sign-in throttle', () => {
  it('refuses an account after its failures, from any address, until the block ends', () => {
    const t = new SignInThrottle(limits);
    for (let i = 0; i < 3; i++) t.failed('Anna', `10.0.0.${i}`, 1000 + i);
    expect(t.check(' anna ', '10.9.9.9', 2000)).toEqual({ allowed: false, by: 'account', retryAfterMs: 1002 + 300_000 - 2000 });
    expect(t.check('viktor', '10.9.9.9', 2000)).toEqual({ allowed: true });
    expect(t.check('anna', '10.9.9.9', 1002 + 300_000)).toEqual({ allowed: true });
  });

  it('refuses an address that tries many accounts, whichever it names next', () => {
    const t = new SignInThrottle(limits);
    for (let i = 0; i < 5; i++) t.failed(`user${i}`, '192.0.2.7', 1000);
    expect(t.check('viktor', '192.0.2.7', 1000)).toMatchObject({ allowed: false, by: 'ip', retryAfterMs: 600_000 });
    expect(t.check('viktor', '192.0.2.8', 1000)).toEqual({ allowed: true });
  });

  it('counts in windows: failures spread wider than the window never block; a success clears the account', () => {
    const t = new SignInThrottle(limits);
    for (let i = 0; i < 10; i++) t.failed('anna', `10.0.0.${i}`, i * 31_000);
    expect(t.check('anna', '10.1.1.1', 10 * 31_000)).toEqual({ allowed: true });
    t.failed('anna', '10.0.0.1', 400_000);
    t.failed('anna', '10.0.0.1', 400_001);
    t.succeeded('anna');
    t.failed('anna', '10.0.0.1', 400_002);
    expect(t.check('anna', '10.0.0.1', 400_003)).toEqual({ allowed: true });
  });

  it('keeps memory bounded: keys whose window and block are over are dropped', () => {
    const t = new SignInThrottle(limits, 10);
    for (let i = 0; i < 100; i++) t.failed(`u${i}`, `10.0.${i}.1`, i * 61_000);
    expect((t as unknown as { entries: Map<string, unknown> }).entries.size).toBeLessThanOrEqual(12);
  });

  it('counts an IPv6 /64 as one address, and an IPv4-mapped address as the IPv4 one', () => {
    expect(ipKey('2001:db8:aa:1::5')).toBe(ipKey('2001:0db8:00aa:0001:ffff::9'));
    expect(ipKey('2001:db8:aa:1::5')).not.toBe(ipKey('2001:db8:aa:2::5'));
    expect(ipKey('::1')).toBe('i6:0:0:0:0::/64');
    expect(ipKey('::ffff:192.0.2.7')).toBe(ipKey('192.0.2.7'));
    const t = new SignInThrottle(limits);
    for (let i = 0; i < 5; i++) t.failed(`user${i}`, `2001:db8:aa:1::${i + 1}`, 1000);
    expect(t.check('viktor', '2001:db8:aa:1:dead:beef::1', 1000)).toMatchObject({ allowed: false, by: 'ip' });
  });
});
