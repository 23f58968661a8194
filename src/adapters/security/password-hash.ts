import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// OWASP's scrypt recommendation (N=2^17, r=8, p=1): about 128 MiB and ~0.2 s per hash on one core.
const PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_LEN = 64;

function derive(password: string, salt: Buffer, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LEN, { ...o, maxmem: 256 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * Console passwords: Node's own scrypt (a memory-hard KDF; no native add-on to build or download).
 * Stored as `scrypt$N$r$p$salt$hash` (base64), so the cost can be raised later without breaking
 * old hashes. `cost` lowers N for tests only.
 */
export function scryptHasher(cost: { readonly N?: number } = {}): { hash(p: string): Promise<string>; verify(stored: string, p: string): Promise<boolean> } {
  const params = { ...PARAMS, ...cost };
  return {
    async hash(password) {
      const salt = randomBytes(16);
      const key = await derive(password, salt, params);
      return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
    },
    async verify(stored, password) {
      const [scheme, n, r, p, salt, key] = stored.split('$');
      if (scheme !== 'scrypt' || !salt || !key) return false;
      const expected = Buffer.from(key, 'base64');
      const got = await derive(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
      return got.length === expected.length && timingSafeEqual(got, expected);
    },
  };
}

/** 32 random bytes, base64url: session cookies and CSRF tokens. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}
