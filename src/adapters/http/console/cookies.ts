import type { Request, Response } from 'express';
import { secretsEqual } from '../admin-auth.ts';

export const SESSION_COOKIE = 'b24c_session';
export const LOGIN_COOKIE = 'b24c_login';
export const LANG_COOKIE = 'b24c_lang';

/** Cookies of the request (no cookie-parser: three cookies, one line). */
export function readCookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    try {
      out[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // A malformed cookie is ignored, like a missing one.
    }
  }
  return out;
}

/**
 * HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), Secure when
 * the request came over HTTPS (directly, or through a proxy the `trust proxy` setting trusts).
 */
export function setConsoleCookie(req: Request, res: Response, name: string, value: string, maxAgeMs?: number): void {
  res.cookie(name, value, {
    httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/console', ...(maxAgeMs !== undefined ? { maxAge: maxAgeMs } : {}),
  });
}

export function clearConsoleCookie(req: Request, res: Response, name: string): void {
  res.clearCookie(name, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/console' });
}

/** The CSRF token a form or a script sent, compared in constant time with the expected one. */
export function csrfMatches(req: Request, expected: string): boolean {
  const body = req.body as Record<string, unknown> | undefined;
  const given = typeof body?._csrf === 'string' ? body._csrf : req.get('x-csrf-token') ?? '';
  return given !== '' && secretsEqual(given, expected);
}
