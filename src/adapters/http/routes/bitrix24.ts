import fs from 'node:fs';
import path from 'node:path';
import express, { type Request, type Response, type Router } from 'express';
import { FormError, parseBracketForm } from '../../bitrix24/form.ts';
import { parseB24Event, verifyEventAuth, type B24Event, type ExpectedPortal } from '../../bitrix24/event.ts';
import type { Logger } from '../../logging/logger.ts';
import type { CrmEvents } from '../../../app/crm/crm-events.ts';
import type { InstallResult } from '../../../app/crm/install.ts';
import type { CrmClock } from '../../../app/crm/clock.ts';
import { RecordingPathError, resolveRecordingFile, type RecordingLinks } from '../../../app/crm/recordings.ts';
import { requireAdminToken } from '../admin-auth.ts';

export interface Bitrix24RouterDeps {
  readonly events: CrmEvents;
  readonly expectedPortal: () => ExpectedPortal | null;
  /** Null when installs are not accepted (webhook mode, B24_MODE=off, or the app is not configured). */
  readonly install: ((event: B24Event) => Promise<InstallResult>) | null;
  /** ONAPPUNINSTALL from the installed portal. */
  readonly onUninstall?: () => Promise<void>;
  /** Signed recording links; null when RECORD_URL_SECRET / PUBLIC_URL are not set. */
  readonly recordings: { readonly links: RecordingLinks; readonly dir: string } | null;
  readonly clock: CrmClock;
  readonly logger: Logger;
  /** Runs the processing after the reply (default: at once, as the reply is on its way). */
  readonly defer?: (work: () => Promise<void>) => void;
}

const formBody = express.text({ type: 'application/x-www-form-urlencoded', limit: '256kb' });

function parseEventBody(req: Request): { ok: true; event: B24Event } | { ok: false; error: string } {
  if (typeof req.body !== 'string') return { ok: false, error: 'expected an application/x-www-form-urlencoded body' };
  try {
    return parseB24Event(parseBracketForm(req.body));
  } catch (err) {
    if (err instanceof FormError) return { ok: false, error: err.message };
    throw err;
  }
}

const CONTENT_TYPES: Record<string, string> = { '.wav': 'audio/wav', '.mp3': 'audio/mpeg' };

/**
 * Bitrix24's way in: `POST /bitrix24/events` (verified by application_token and portal, persisted,
 * answered at once, processed after the reply), `POST /bitrix24/install` (ONAPPINSTALL), and
 * `GET /recordings/:file?exp=…&sig=…` (the expiring signed links attachRecord hands to Bitrix24).
 * Mount at `/`.
 */
export function createBitrix24Router(deps: Bitrix24RouterDeps): Router {
  const router = express.Router();
  const defer = deps.defer ?? ((work: () => Promise<void>) => void work());

  router.post('/bitrix24/events', formBody, async (req: Request, res: Response) => {
    const parsed = parseEventBody(req);
    if (!parsed.ok) {
      deps.logger.warn({ reason: parsed.error }, 'bitrix24 event rejected: malformed');
      res.status(400).json({ error: 'BAD_REQUEST', message: parsed.error });
      return;
    }
    const verified = verifyEventAuth(parsed.event.auth, deps.expectedPortal());
    if (!verified.ok) {
      // The reason goes to the log only: a forger learns nothing about which check failed.
      deps.logger.warn({ event: parsed.event.event, reason: verified.reason, ip: req.ip }, 'bitrix24 event rejected: not from the installed portal');
      res.status(401).json({ error: 'UNAUTHORIZED' });
      return;
    }
    if (parsed.event.event === 'ONAPPUNINSTALL') {
      await deps.onUninstall?.();
      res.json({ status: 'uninstalled' });
      return;
    }
    const accepted = await deps.events.accept(parsed.event, defer);
    if (accepted.status === 'invalid') {
      deps.logger.warn({ event: parsed.event.event, reason: accepted.reason }, 'bitrix24 event rejected: invalid data');
      res.status(400).json({ error: 'BAD_REQUEST', message: accepted.reason });
      return;
    }
    if (accepted.status === 'ignored') {
      res.json({ status: 'ignored' });
      return;
    }
    res.json({ status: accepted.status });
  });

  router.post('/bitrix24/install', formBody, async (req: Request, res: Response) => {
    if (!deps.install) {
      res.status(404).json({ error: 'NOT_FOUND', message: 'installs are accepted in B24_MODE=app, with B24_CLIENT_ID, B24_CLIENT_SECRET and PUBLIC_URL set' });
      return;
    }
    const parsed = parseEventBody(req);
    if (!parsed.ok) {
      res.status(400).json({ error: 'BAD_REQUEST', message: parsed.error });
      return;
    }
    const result = await deps.install(parsed.event);
    if (!result.ok) {
      deps.logger.warn({ status: result.status, reason: result.reason }, 'bitrix24 install refused');
      res.status(result.status).json({ error: 'INSTALL_REFUSED', message: result.reason });
      return;
    }
    deps.logger.info({ domain: result.portal.domain, bound: result.bound, pinned: result.pinned }, 'bitrix24 app installed');
    res.json({ status: 'installed', domain: result.portal.domain, bound: result.bound });
  });

  router.get('/recordings/:file', (req: Request, res: Response) => {
    const rec = deps.recordings;
    const file = String(req.params.file ?? '');
    const exp = typeof req.query.exp === 'string' ? req.query.exp : '';
    const sig = typeof req.query.sig === 'string' ? req.query.sig : '';
    if (!rec || !rec.links.verify(file, exp, sig, deps.clock.now())) {
      res.status(403).json({ error: 'FORBIDDEN', message: 'link missing, wrong or expired' });
      return;
    }
    let abs: string;
    try {
      abs = resolveRecordingFile(rec.dir, file);
    } catch (err) {
      const status = err instanceof RecordingPathError ? 400 : 404;
      res.status(status).json({ error: status === 400 ? 'BAD_REQUEST' : 'NOT_FOUND', message: status === 400 ? 'not a recording path' : 'recording not found' });
      return;
    }
    res.setHeader('Content-Type', CONTENT_TYPES[path.extname(abs).toLowerCase()] ?? 'application/octet-stream');
    res.setHeader('Content-Disposition', `attachment; filename="${path.basename(abs)}"`);
    fs.createReadStream(abs).on('error', () => res.destroy()).pipe(res);
  });

  return router;
}

export interface CrmAdminDeps {
  readonly adminToken: string | undefined;
  readonly syncUsers: () => Promise<{ users: number; departments: number }>;
  readonly syncLines?: () => Promise<unknown>;
  readonly logger: Logger;
}

/** Admin actions of the CRM side (Authorization: Bearer ADMIN_TOKEN). Mount at `/admin`. */
export function createCrmAdminRouter(deps: CrmAdminDeps): Router {
  const router = express.Router();
  router.use(requireAdminToken(deps.adminToken));
  router.post('/users/sync', async (_req: Request, res: Response) => {
    try {
      res.json({ status: 'synced', ...(await deps.syncUsers()) });
    } catch (err) {
      deps.logger.warn({ err }, 'user sync failed');
      res.status(502).json({ error: 'SYNC_FAILED', message: err instanceof Error ? err.message : String(err) });
    }
  });
  router.post('/lines/sync', async (_req: Request, res: Response) => {
    if (!deps.syncLines) {
      res.status(404).json({ error: 'NOT_FOUND' });
      return;
    }
    try {
      res.json({ status: 'synced', report: await deps.syncLines() });
    } catch (err) {
      res.status(502).json({ error: 'SYNC_FAILED', message: err instanceof Error ? err.message : String(err) });
    }
  });
  return router;
}
