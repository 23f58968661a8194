import crypto from 'node:crypto';
import type { RequestHandler } from 'express';

/** Constant-time comparison of two secrets of any length (compares their SHA-256 digests). */
export function secretsEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

/**
 * Admin endpoints need `Authorization: Bearer <ADMIN_TOKEN>`. Without a configured token they are
 * closed (403), never open.
 */
export function requireAdminToken(token: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (!token) {
      res.status(403).json({ error: 'ADMIN_DISABLED', message: 'set ADMIN_TOKEN to use admin endpoints' });
      return;
    }
    const header = req.get('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!given || !secretsEqual(given, token)) {
      res.status(401).json({ error: 'UNAUTHORIZED', message: 'admin token missing or wrong' });
      return;
    }
    next();
  };
}
