import net from 'node:net';

/**
 * Which peers may open a FastAGI session (DECISIONS §30): loopback always, plus the addresses and
 * CIDR blocks of AGI_ALLOW (the PBX hosts). Everyone else is refused before a byte is read.
 */
export interface PeerAllowlist {
  allows(address: string): boolean;
}

/**
 * `10.0.0.5, 10.1.0.0/16, fd00::/8` → an allowlist; an entry that is neither an address nor a
 * CIDR block throws, naming it (nothing starts with half a list).
 */
export function parsePeerAllowlist(list: string | undefined, name = 'AGI_ALLOW'): PeerAllowlist {
  const blocks = new net.BlockList();
  blocks.addSubnet('127.0.0.0', 8, 'ipv4');
  blocks.addAddress('::1', 'ipv6');
  const entries = (list ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  for (const entry of entries) {
    const [address = '', bits, extra] = entry.split('/');
    const family = net.isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (family === 0 || extra !== undefined || !/^\d{0,3}$/.test(bits ?? '') || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      throw new Error(`${name}: "${entry}" is not an IP address or a CIDR block (e.g. 10.0.0.5 or 10.0.0.0/24)`);
    }
    blocks.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return {
    allows(address) {
      // The usual peer (Asterisk on the same host) without a regular expression or a BlockList walk.
      if (address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1') return true;
      // An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d.
      const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
      if (v4 !== undefined) return blocks.check(v4, 'ipv4');
      const family = net.isIP(address);
      return family !== 0 && blocks.check(address, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/**
 * Says whether a refusal is worth a log line: at most one per address per `windowMs`, so a
 * scanner hammering the port cannot flood the log. Remembers at most `maxAddresses` addresses.
 */
export function refusalLogLimiter(windowMs = 60_000, maxAddresses = 10_000): (address: string, now: number) => boolean {
  const last = new Map<string, number>();
  return (address, now) => {
    const at = last.get(address);
    if (at !== undefined && now - at < windowMs) return false;
    last.delete(address);
    last.set(address, now);
    // Oldest first (insertion order): drop entries past their window, or the oldest when full.
    for (const [a, t] of last) {
      if (now - t < windowMs && last.size <= maxAddresses) break;
      last.delete(a);
    }
    return true;
  };
}
