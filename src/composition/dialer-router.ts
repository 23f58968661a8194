import express, { type Router } from 'express';
import { z } from 'zod';
import { requireAdminToken } from '../adapters/http/admin-auth.ts';
import {
  DialerInputError, importCrmLeads, importCsvLeads, saveCampaign, setCampaignStatus, type CampaignAdmin, type CrmLeadSource, type CrmSourceQuery,
} from '../app/dialer/campaigns.ts';
import { addToDnc, dncEntryOf, saveOperator, setOperatorOnline } from '../app/dialer/admin.ts';
import type { DialerStore } from '../app/dialer/ports.ts';
import type { EffectiveRules } from './effective-rules.ts';

export interface DialerRouterDeps {
  readonly token: string | undefined;
  readonly store: DialerStore;
  readonly rules: EffectiveRules;
  readonly defaultCountry: string;
  readonly leadSource: CrmLeadSource;
  /** The do-not-call list changed: the cycle re-reads it now. */
  readonly changed: () => Promise<void> | undefined;
}

const campaignBody = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  department: z.string().min(1),
  operators: z.array(z.string()).default([]),
  mode: z.string().optional(),
  hours: z.string().optional(),
  quiet: z.array(z.string()).optional(),
  retry: z.strictObject({ noAnswer: z.number().optional(), unreachable: z.number().optional(), busy: z.number().optional(), technical: z.number().optional() }).optional(),
  maxAttempts: z.number().optional(),
  caps: z.strictObject({ perDay: z.number().nullable().optional(), perWeek: z.number().nullable().optional(), perMonth: z.number().nullable().optional() }).optional(),
  timezone: z.string().optional(),
  ringSeconds: z.number().optional(),
  wrapUpSeconds: z.number().optional(),
  ratio: z.number().optional(),
  abandonTarget: z.number().optional(),
  abandonWindow: z.string().optional(),
  amd: z.boolean().optional(),
  amdFalsePositive: z.number().optional(),
});
const operatorBody = z.strictObject({ name: z.string().max(200).nullable().optional(), dial: z.string(), stateDevice: z.string().nullable().optional() });
const dncBody = z.strictObject({ numbers: z.array(z.string()).optional(), prefixes: z.array(z.string()).optional(), note: z.string().max(255).nullable().optional() });
const crmImportBody = z.strictObject({
  /** leads (default) or deals by `filter`, or the call list `listId` (its items of `status`, if given). */
  kind: z.enum(['leads', 'deals', 'call-list']).default('leads'),
  filter: z.record(z.string(), z.string()).default({}),
  listId: z.number().int().positive().optional(),
  status: z.string().min(1).max(50).optional(),
}).superRefine((b, ctx) => {
  if (b.kind === 'call-list' && b.listId === undefined) ctx.addIssue({ code: 'custom', path: ['listId'], message: 'a call list import needs listId (the CRM call list id)' });
  if (b.kind !== 'call-list' && (b.listId !== undefined || b.status !== undefined)) ctx.addIssue({ code: 'custom', path: ['kind'], message: 'listId and status belong to kind "call-list"' });
});

function crmQuery(b: z.infer<typeof crmImportBody>): CrmSourceQuery {
  if (b.kind === 'call-list') return { kind: 'call-list', listId: b.listId as number, ...(b.status !== undefined ? { status: b.status } : {}) };
  return { kind: b.kind, filter: b.filter };
}

type Handler = (req: express.Request, res: express.Response) => Promise<void>;

/** Bad input answers 400 naming what and where; nothing is changed. */
function guarded(fn: Handler): express.RequestHandler {
  return (req, res, next) => {
    fn(req, res).catch((err: unknown) => {
      if (err instanceof DialerInputError) res.status(400).json({ error: 'BAD_REQUEST', message: err.message });
      else if (err instanceof z.ZodError) res.status(400).json({ error: 'BAD_REQUEST', message: err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
      else next(err);
    });
  };
}

/**
 * `/admin/dialer/…` (Bearer ADMIN_TOKEN): campaigns (save, start/pause/stop, progress, leads from
 * a CSV body, or Bitrix24 leads or deals by a filter or a CRM call list), operators on and off line, the do-not-call list.
 */
export function createDialerRouter(d: DialerRouterDeps): Router {
  const router = express.Router();
  router.use(requireAdminToken(d.token));
  router.use(express.json({ limit: '1mb' }));
  router.use(express.text({ type: ['text/csv', 'text/plain'], limit: '20mb' }));
  const admin: CampaignAdmin = {
    store: d.store, now: () => Date.now(), defaultTimezone: d.rules.current().timezone,
    knownDepartment: (id) => d.rules.current().departmentById.has(id),
  };
  const id = (req: express.Request): string => String(req.params.id ?? '');

  router.get('/campaigns', guarded(async (_req, res) => {
    const campaigns = await d.store.listCampaigns();
    res.json(await Promise.all(campaigns.map(async (c) => ({ ...c, progress: await d.store.progress(c.id) }))));
  }));
  router.get('/campaigns/:id', guarded(async (req, res) => {
    const c = await d.store.getCampaign(id(req));
    if (!c) {
      res.status(404).json({ error: 'NOT_FOUND', message: `no campaign "${id(req).slice(0, 64)}"` });
      return;
    }
    res.json({ ...c, progress: await d.store.progress(c.id) });
  }));
  router.put('/campaigns/:id', guarded(async (req, res) => {
    const body = campaignBody.parse(req.body);
    res.json(await saveCampaign(admin, { id: id(req), ...body } as Parameters<typeof saveCampaign>[1]));
  }));
  for (const [action, status] of [['start', 'running'], ['pause', 'paused'], ['stop', 'stopped']] as const) {
    router.post(`/campaigns/:id/${action}`, guarded(async (req, res) => {
      await setCampaignStatus(admin, id(req), status);
      res.json({ id: id(req), status });
    }));
  }
  router.get('/campaigns/:id/leads', guarded(async (req, res) => {
    const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 100) || 100));
    res.json(await d.store.listLeads(id(req), limit));
  }));
  router.post('/campaigns/:id/leads', guarded(async (req, res) => {
    if (typeof req.body !== 'string') throw new DialerInputError('send the leads as a text/csv body: number[,title[,entityType,entityId]] per line');
    res.json(await importCsvLeads(admin, id(req), req.body, d.defaultCountry));
  }));
  router.post('/campaigns/:id/leads/bitrix24', guarded(async (req, res) => {
    const query = crmQuery(crmImportBody.parse(req.body ?? {}));
    res.json(await importCrmLeads(admin, id(req), d.leadSource, query, d.defaultCountry));
  }));

  router.get('/operators', guarded(async (_req, res) => { res.json(await d.store.listOperators()); }));
  router.put('/operators/:id', guarded(async (req, res) => {
    const body = operatorBody.parse(req.body);
    res.json(await saveOperator(d.store, { id: id(req), ...body }, Date.now()));
  }));
  for (const [action, online] of [['online', true], ['offline', false]] as const) {
    router.post(`/operators/:id/${action}`, guarded(async (req, res) => {
      await setOperatorOnline(d.store, id(req), online, Date.now());
      res.json({ id: id(req), online });
    }));
  }

  router.get('/dnc', guarded(async (_req, res) => { res.json(await d.store.listDnc()); }));
  router.post('/dnc', guarded(async (req, res) => {
    const added = await addToDnc(d.store, dncBody.parse(req.body), d.defaultCountry, Date.now());
    await d.changed();
    res.json({ added });
  }));
  router.delete('/dnc/:kind/:value', guarded(async (req, res) => {
    const kind = req.params.kind === 'prefix' ? 'prefix' : 'number';
    const removed = await d.store.removeDnc(dncEntryOf(String(req.params.value ?? ''), kind, d.defaultCountry));
    await d.changed();
    res.status(removed ? 200 : 404).json({ removed });
  }));
  return router;
}
