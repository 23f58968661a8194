/** How many failed sign-ins a key may have in a window before it is refused for a while. */
export interface ThrottleRule {
  readonly failures: number;
  readonly windowMs: number;
  readonly blockMs: number;
}

export interface SignInLimits {
  /** Failures naming one account, from anywhere (guessing one password from many addresses). */
  readonly perAccount: ThrottleRule;
  /** Failures from one address, whatever account they name (trying many accounts). */
  readonly perIp: ThrottleRule;
}

/** OWASP's advice in numbers: a handful of tries per account, more per address, refusals that end on their own. */
export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  perAccount: { failures: 5, windowMs: 15 * 60_000, blockMs: 15 * 60_000 },
  perIp: { failures: 20, windowMs: 15 * 60_000, blockMs: 15 * 60_000 },
};

export type ThrottleVerdict = { readonly allowed: true } | { readonly allowed: false; readonly by: 'account' | 'ip'; readonly retryAfterMs: number };

interface Entry { windowStart: number; failures: number; blockedUntil: number }

/**
 * Failed sign-ins counted per account and per address in fixed windows; a key over its limit is
 * refused until its block ends, before any password is checked (so a refused try costs no hash).
 * A success clears that account's count but not the address's. Time is an input; memory is
 * bounded by dropping keys whose window and block are over.
 */
export class SignInThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS, private readonly maxKeys = 50_000) {}

  check(account: string, ip: string, now: number): ThrottleVerdict {
    for (const [by, key] of [['account', accountKey(account)], ['ip', ipKey(ip)]] as const) {
      const e = this.entries.get(key);
      if (e && e.blockedUntil > now) return { allowed: false, by, retryAfterMs: e.blockedUntil - now };
    }
    return { allowed: true };
  }

  failed(account: string, ip: string, now: number): void {
    this.count(accountKey(account), this.limits.perAccount, now);
    this.count(ipKey(ip), this.limits.perIp, now);
    if (this.entries.size > this.maxKeys) this.prune(now);
  }

  succeeded(account: string): void {
    this.entries.delete(accountKey(account));
  }

  private count(key: string, rule: ThrottleRule, now: number): void {
    let e = this.entries.get(key);
    if (!e || now - e.windowStart >= rule.windowMs) {
      e = { windowStart: now, failures: 0, blockedUntil: e?.blockedUntil ?? 0 };
      this.entries.set(key, e);
    }
    e.failures += 1;
    if (e.failures >= rule.failures) e.blockedUntil = Math.max(e.blockedUntil, now + rule.blockMs);
  }

  private prune(now: number): void {
    const longest = Math.max(this.limits.perAccount.windowMs, this.limits.perIp.windowMs);
    for (const [key, e] of this.entries) if (e.blockedUntil <= now && now - e.windowStart >= longest) this.entries.delete(key);
  }
}

/** Names differ only by case and surrounding spaces for the throttle: one account, one count. */
const accountKey = (name: string): string => `a:${name.trim().toLowerCase().slice(0, 64)}`;

/**
 * One count per IPv4 address, and per IPv6 /64 (one customer's network: addresses in it cost an
 * attacker nothing). IPv4-mapped IPv6 (`::ffff:192.0.2.7`) is the IPv4 address.
 */
export function ipKey(ip: string): string {
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (v4) return `i:${v4[1]}`;
  if (!ip.includes(':')) return `i:${ip}`;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `i6:${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
