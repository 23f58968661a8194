import crypto from 'node:crypto';
import type { FormObject, FormValue } from './form.ts';

/** An event as Bitrix24 posts it, every value a string. */
export interface B24Event {
  readonly event: string;
  readonly handlerId: string | null;
  readonly ts: number | null;
  readonly data: Readonly<Record<string, FormValue>>;
  readonly auth: Readonly<Record<string, string>>;
}

export type ParseEventResult = { readonly ok: true; readonly event: B24Event } | { readonly ok: false; readonly error: string };

function str(v: FormValue | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

/** Checks the envelope (event name, data, auth); says which field is wrong. */
export function parseB24Event(body: FormObject): ParseEventResult {
  const event = str(body.event);
  if (!event || !/^[A-Z0-9_]{3,64}$/i.test(event)) return { ok: false, error: 'field "event" is missing or malformed' };
  const data = body.data ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) return { ok: false, error: 'field "data" must be a bracketed object (data[...])' };
  const rawAuth = body.auth;
  if (typeof rawAuth !== 'object' || rawAuth === null || Array.isArray(rawAuth)) return { ok: false, error: 'field "auth" is missing (auth[application_token] is required)' };
  const auth: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawAuth)) if (typeof v === 'string') auth[k] = v;
  const tsText = str(body.ts);
  const ts = tsText !== null && /^\d{1,12}$/.test(tsText) ? Number(tsText) : null;
  return { ok: true, event: { event: event.toUpperCase(), handlerId: str(body.event_handler_id), ts, data, auth } };
}

const sha256 = (text: string): Buffer => crypto.createHash('sha256').update(text, 'utf8').digest();

/** The digests of the few stored secrets events are checked against: hashed once, not per event. */
const expectedDigests = new Map<string, Buffer>();

function expectedDigest(expected: string): Buffer {
  let digest = expectedDigests.get(expected);
  if (digest === undefined) {
    if (expectedDigests.size >= 8) expectedDigests.clear();
    digest = sha256(expected);
    expectedDigests.set(expected, digest);
  }
  return digest;
}

/** Constant-time comparison of secrets of any length (compares SHA-256 digests). */
export function secretEquals(given: string, expected: string): boolean {
  return crypto.timingSafeEqual(sha256(given), expectedDigest(expected));
}

/** What an event must match: the installed portal (or the webhook-mode configuration). */
export interface ExpectedPortal {
  readonly applicationToken: string;
  /** Null: not checked (webhook mode without B24_MEMBER_ID). */
  readonly memberId: string | null;
  /** Null: not checked. */
  readonly domain: string | null;
}

export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * The only authentication an event has (Bitrix24 signs nothing): `auth[application_token]` must
 * equal the stored one, and member_id / domain must be the installed portal's.
 */
export function verifyEventAuth(auth: Readonly<Record<string, string>>, expected: ExpectedPortal | null): VerifyResult {
  if (!expected || expected.applicationToken === '') return { ok: false, reason: 'no portal is installed' };
  const token = auth.application_token ?? '';
  // Always compare (even an empty token) so timing does not reveal which check failed.
  const tokenOk = secretEquals(token, expected.applicationToken);
  const memberOk = expected.memberId === null || secretEquals(auth.member_id ?? '', expected.memberId);
  const domainOk = expected.domain === null || (auth.domain ?? '').toLowerCase() === expected.domain.toLowerCase();
  if (!tokenOk) return { ok: false, reason: 'application_token does not match' };
  if (!memberOk) return { ok: false, reason: 'member_id is not the installed portal' };
  if (!domainOk) return { ok: false, reason: 'domain is not the installed portal' };
  return { ok: true };
}

/** data[...] as strings only (nested values are dropped: telephony events have none). */
export function flatData(data: Readonly<Record<string, FormValue>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** A stable key for events that carry no CALL_ID (ONEXTERNALCALLBACKSTART): a digest of what identifies it. */
export function eventDigest(e: B24Event): string {
  const h = crypto.createHash('sha256');
  h.update(JSON.stringify([e.event, e.handlerId, e.ts, flatData(e.data)]));
  return `sha256:${h.digest('hex').slice(0, 40)}`;
}
