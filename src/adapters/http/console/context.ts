import type { Response } from 'express';
import type { ConsoleUser } from '../../../app/console/ports.ts';
import { translator, type Lang, type Translate } from './i18n.ts';

/** What every page knows about the request: the language, the signed-in user and the CSRF token. */
export interface PageContext {
  readonly lang: Lang;
  readonly t: Translate;
  readonly user: ConsoleUser | null;
  readonly csrf: string;
  /** The session cookie's token (sign-out needs it). */
  readonly token: string | null;
  readonly timeZone: string;
  /** Path of the page, for the language links. */
  readonly path: string;
}

export function ctxOf(res: Response): PageContext {
  return res.locals.console as PageContext;
}

export function setCtx(res: Response, ctx: Omit<PageContext, 't'>): PageContext {
  const full: PageContext = { ...ctx, t: translator(ctx.lang) };
  res.locals.console = full;
  return full;
}

/** `04.12.2026, 12:03:10` in the rules' time zone. */
export function formatTime(ctx: PageContext, ms: number | null): string {
  if (ms === null) return '—';
  return new Intl.DateTimeFormat(ctx.lang === 'ru' ? 'ru-RU' : 'en-GB', { timeZone: ctx.timeZone, dateStyle: 'short', timeStyle: 'medium' }).format(ms);
}

/**
 * The epoch ms of local midnight starting `date` (YYYY-MM-DD) in the zone; null when malformed.
 * The zone's offset is read at UTC midnight of that date (Russia keeps one offset all year).
 */
export function zonedDayStart(date: string, timeZone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number.isNaN(utc)) return null;
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(utc);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return utc - (wall - utc);
}
