import { describe, expect, it } from 'vitest';
import { parsePeerAllowlist, refusalLogLimiter } from '../../../src/adapters/asterisk/fastagi/peer-allowlist.ts';
import { scriptName, scriptSecret, secretMatches } from '../../../src/adapters/asterisk/fastagi/script-secret.ts';

describe('FastAGI peer allowlist', () => {
  it('allows loopback only by default', () => {
    const allow = parsePeerAllowlist(undefined);
    expect(['127.0.0.1', '127.0.0.53', '::1', '::ffff:127.0.0.1'].map((a) => allow.allows(a))).toEqual([true, true, true, true]);
    expect(['10.0.0.5', '192.0.2.2', 'fd00::2', '::ffff:10.0.0.5', ''].map((a) => allow.allows(a))).toEqual([false, false, false, false, false]);
  });

  it('adds the listed addresses and CIDR blocks, IPv4 peers on dual-stack sockets included', () => {
    const allow = parsePeerAllowlist(' 10.1.0.0/16, 192.0.2.7 ,fd00::/8');
    expect(['10.1.200.3', '::ffff:10.1.0.9', '192.0.2.7', 'fd00::2'].map((a) => allow.allows(a))).toEqual([true, true, true, true]);
    expect(['10.2.0.1', '192.0.2.8', 'fe80::1'].map((a) => allow.allows(a))).toEqual([false, false, false]);
  });

  it.each(['pbx.example.com', '10.0.0.0/33', '10.0.0.1/8/2', '10.0.0/24', 'fd00::/129', '10.0.0.0/x'])('refuses "%s", naming it', (entry) => {
    expect(() => parsePeerAllowlist(`10.0.0.5,${entry}`)).toThrow(`AGI_ALLOW: "${entry}" is not an IP address or a CIDR block`);
  });

  it('a refused address is worth a log line at most once a minute', () => {
    const worth = refusalLogLimiter(60_000);
    expect([worth('10.0.0.9', 0), worth('10.0.0.9', 59_999), worth('10.0.0.8', 59_999), worth('10.0.0.9', 60_000), worth('10.0.0.9', 60_001)])
      .toEqual([true, false, true, true, false]);
  });

  it('remembers a bounded number of addresses', () => {
    const worth = refusalLogLimiter(60_000, 2);
    expect([worth('a', 0), worth('b', 1), worth('c', 2), worth('a', 3), worth('c', 4)]).toEqual([true, true, true, true, false]);
  });
});

describe('FastAGI URL secret', () => {
  it('is read from the query of agi_network_script and kept out of the script name', () => {
    expect(scriptSecret('route?secret=s3cr%2Ft-0123456789')).toBe('s3cr/t-0123456789');
    expect(scriptSecret('route')).toBeNull();
    expect(scriptSecret('route?other=1')).toBeNull();
    expect(scriptName('/route?secret=abc')).toBe('route');
  });

  it('matches only the exact secret', () => {
    expect(secretMatches('0123456789abcdef', '0123456789abcdef')).toBe(true);
    expect(secretMatches('0123456789abcdeF', '0123456789abcdef')).toBe(false);
    expect(secretMatches('0123456789abcdef0', '0123456789abcdef')).toBe(false);
    expect(secretMatches(null, '0123456789abcdef')).toBe(false);
  });
});
