import express, { type Response, type Router } from 'express';
import { handle, middleware, sendPage } from './respond.ts';
import type { ConsoleAuth } from '../../../app/console/auth.ts';
import type { ConsoleService } from '../../../app/console/service.ts';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.ts';
import { ctxOf, setCtx } from './context.ts';
import {
  LANG_COOKIE, LOGIN_COOKIE, SESSION_COOKIE, clearConsoleCookie, csrfMatches, readCookies, setConsoleCookie,
} from './cookies.ts';
import { isLang, translator, type Lang } from './i18n.ts';
import { layout, notice } from './layout.ts';
import { signInPage } from './pages/sign-in.ts';
import { registerChangeRoutes } from './routes-change.ts';
import { registerReadRoutes } from './routes-read.ts';

export interface ConsoleRouterDeps {
  readonly auth: ConsoleAuth;
  readonly service: ConsoleService;
  /** The rules' time zone: every time on the pages is shown in it. */
  readonly timeZone: () => string;
  readonly sessionMs: number;
  /** A fresh random token (the sign-in form's own CSRF token). */
  readonly token: () => string;
}

const YEAR_MS = 365 * 86_400_000;

function refuse(res: Response, status: number, message: string): void {
  const ctx = ctxOf(res);
  sendPage(res, status, layout(ctx, ctx.t('title'), notice('error', message)));
}

/**
 * The web console at /console: server-rendered pages, Russian by default. Sign-in with a console
 * account; a session cookie (HttpOnly, SameSite=Strict, Secure over HTTPS); every POST carries
 * the session's CSRF token; only admins may POST anything but sign-out; changes are audited by
 * the console use cases.
 */
export function createConsoleRouter(deps: ConsoleRouterDeps): Router {
  const router = express.Router();

  router.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy': "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    });
    next();
  });
  router.get('/assets/console.css', (_req, res) => {
    res.type('css').set('Cache-Control', 'public, max-age=3600').send(CONSOLE_CSS);
  });
  router.get('/assets/console.js', (_req, res) => {
    res.type('js').set('Cache-Control', 'public, max-age=3600').send(CONSOLE_JS);
  });
  router.use(express.urlencoded({ extended: false, limit: '2mb' }));

  // Language, session: every request.
  router.use(middleware(async (req, res) => {
    const cookies = readCookies(req);
    let lang: Lang = isLang(cookies[LANG_COOKIE]) ? cookies[LANG_COOKIE] : 'ru';
    if (isLang(req.query.lang)) {
      lang = req.query.lang;
      setConsoleCookie(req, res, LANG_COOKIE, lang, YEAR_MS);
    }
    const token = cookies[SESSION_COOKIE] ?? null;
    const session = token ? await deps.auth.session(token) : null;
    setCtx(res, { lang, user: session?.user ?? null, csrf: session?.csrfToken ?? '', token: session ? token : null, timeZone: deps.timeZone(), path: req.path });
  }));

  router.get('/login', (req, res) => {
    if (ctxOf(res).user) {
      res.redirect(303, '/console/');
      return;
    }
    const loginToken = deps.token();
    setConsoleCookie(req, res, LOGIN_COOKIE, loginToken);
    sendPage(res, 200, signInPage(ctxOf(res), { loginToken }));
  });

  router.post('/login', handle(async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const expected = readCookies(req)[LOGIN_COOKIE] ?? '';
    const ctx = ctxOf(res);
    // The sign-in form has its own token (double submit): no other site can sign a browser in.
    const again = (status: number, error: string): void => {
      const loginToken = deps.token();
      setConsoleCookie(req, res, LOGIN_COOKIE, loginToken);
      sendPage(res, status, signInPage(ctx, { loginToken, error, name }));
    };
    if (expected === '' || typeof body._login !== 'string' || body._login !== expected) {
      again(403, ctx.t('sessionExpired'));
      return;
    }
    const signedIn = name && password ? await deps.auth.signIn(name, password, req.ip ?? req.socket.remoteAddress ?? 'unknown') : null;
    if (signedIn && !signedIn.ok && signedIn.reason === 'throttled') {
      const minutes = Math.max(1, Math.ceil(signedIn.retryAfterMs / 60_000));
      res.set('Retry-After', String(Math.ceil(signedIn.retryAfterMs / 1000)));
      again(429, `${ctx.t(signedIn.by === 'ip' ? 'throttledIp' : 'throttledAccount')} ${minutes} ${ctx.t('minutesShort')}`);
      return;
    }
    if (!signedIn || !signedIn.ok) {
      again(401, ctx.t('badCredentials'));
      return;
    }
    clearConsoleCookie(req, res, LOGIN_COOKIE);
    setConsoleCookie(req, res, SESSION_COOKIE, signedIn.token, deps.sessionMs);
    res.redirect(303, '/console/');
  }));

  // Everything below needs a session.
  router.use((req, res, next) => {
    if (ctxOf(res).user) {
      next();
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') res.redirect(303, '/console/login');
    else refuse(res, 401, translator(ctxOf(res).lang)('sessionExpired'));
  });

  // Every change: the session's CSRF token, and (but for sign-out) the admin role.
  router.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      next();
      return;
    }
    const ctx = ctxOf(res);
    if (!csrfMatches(req, ctx.csrf)) {
      refuse(res, 403, ctx.t('csrf'));
      return;
    }
    if (req.path !== '/logout' && ctx.user?.role !== 'admin') {
      refuse(res, 403, ctx.t('forbidden'));
      return;
    }
    next();
  });

  router.post('/logout', handle(async (req, res) => {
    const ctx = ctxOf(res);
    if (ctx.token && ctx.user) await deps.auth.signOut(ctx.token, ctx.user);
    clearConsoleCookie(req, res, SESSION_COOKIE);
    res.redirect(303, '/console/login');
  }));

  registerReadRoutes(router, deps.service);
  registerChangeRoutes(router, deps.service);

  router.use((_req, res) => {
    refuse(res, 404, ctxOf(res).t('notFound'));
  });
  return router;
}
