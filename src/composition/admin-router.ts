import express, { type Router } from 'express';
import { z } from 'zod';
import { requireAdminToken } from '../adapters/http/admin-auth.ts';
import { callReportToJson } from '../app/calls/call-report.ts';
import type { CallsSide } from './calls-side.ts';
import type { CarrierIndexStore } from '../app/numbering/carrier-index-store.ts';
import { explanationToJson, parseAt, parseKeys, parseWhatIf } from '../app/inbound/render-explanation.ts';
import { decisionToJson } from '../app/routing/render-decision.ts';
import { explainRoute } from '../app/routing/route-call.ts';
import type { TrunkHealthPort } from '../app/trunks/ports.ts';
import { normalizePhone } from '../core/phone/normalize.ts';
import { buildSavingsReport } from '../app/savings/build-report.ts';
import type { CallCostSource } from '../app/savings/ports.ts';
import { savingsToJson } from '../app/savings/render.ts';
import { reportPeriod } from '../core/savings/period.ts';
import { SAVINGS_GROUP_BY, type SavingsGroupBy } from '../core/savings/types.ts';
import { CALL_ORIGINS, type CallOrigin } from '../core/rules/model.ts';
import type { EffectiveRules } from './effective-rules.ts';

export interface AdminRouterDeps {
  readonly token: string | undefined;
  readonly reload: () => Promise<{ readonly ok: boolean; readonly errors: readonly string[] }>;
  readonly rules: EffectiveRules;
  readonly carriers: CarrierIndexStore;
  readonly calls: CallsSide;
  /** Trunks out of routes: explain shows why they are skipped. */
  readonly health?: TrunkHealthPort;
  /** The stored calls the savings report adds up. */
  readonly callCosts?: CallCostSource;
  readonly now?: () => number;
}

const savingsQuery = z.strictObject({
  from: z.string().optional(),
  to: z.string().optional(),
  by: z.enum(SAVINGS_GROUP_BY as [SavingsGroupBy, ...SavingsGroupBy[]]).default('trunk'),
});

function badRequest(res: express.Response, message: string): void {
  res.status(400).json({ error: 'BAD_REQUEST', message });
}

const explainQuery = z.object({
  user: z.string().optional(),
  extension: z.string().optional(),
  department: z.string().optional(),
  number: z.string().min(1),
  origin: z.enum(CALL_ORIGINS as [CallOrigin, ...CallOrigin[]]).default('phone'),
  line: z.string().optional(),
}).refine((q) => q.user !== undefined || q.extension !== undefined || q.department !== undefined, { message: 'give user, extension or department' });

const inboundExplainQuery = z.object({
  did: z.string().min(1),
  from: z.string().optional(),
  caller: z.string().optional(),
  at: z.string().optional(),
  keys: z.string().optional(),
  responsible: z.string().optional(),
  responsiblePhones: z.string().optional(),
  offline: z.string().optional(),
});

/**
 * Admin HTTP endpoints (Bearer ADMIN_TOKEN): the same questions the CLI answers, for a console or
 * a script: reload the rules, explain a route without placing a call, look up a carrier, show calls.
 */
export function createAdminRouter(deps: AdminRouterDeps): Router {
  const router = express.Router();
  router.use(requireAdminToken(deps.token));

  router.post('/rules/reload', async (_req, res) => {
    const result = await deps.reload();
    res.status(result.ok ? 200 : 422).json(result);
  });

  router.get('/route/explain', (req, res) => {
    const q = explainQuery.safeParse(req.query);
    if (!q.success) {
      res.status(400).json({ error: 'BAD_REQUEST', message: q.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ') });
      return;
    }
    const decision = explainRoute(deps, {
      user: q.data.user ?? null, extension: q.data.extension ?? null, department: q.data.department ?? null, number: q.data.number, origin: q.data.origin, line: q.data.line ?? null,
    });
    res.status(decision.refused ? 422 : 200).json(decisionToJson(decision));
  });

  // The savings report as JSON (the same figures as `b24pbx report savings --json`).
  const callCosts = deps.callCosts;
  if (callCosts) {
    router.get('/reports/savings', async (req, res) => {
      const q = savingsQuery.safeParse(req.query);
      if (!q.success) return badRequest(res, q.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '));
      const rules = deps.rules.current();
      const period = reportPeriod({ from: q.data.from, to: q.data.to }, rules.timezone, (deps.now ?? Date.now)());
      if (typeof period === 'string') return badRequest(res, period.replace(/--(from|to)/g, '$1'));
      const report = await buildSavingsReport({ source: callCosts, rules: () => rules }, period.from, period.to, q.data.by);
      res.json(savingsToJson(report));
    });
  }
  router.get('/inbound/explain', (req, res) => {
    const q = inboundExplainQuery.safeParse(req.query);
    const keys = parseKeys(q.success ? q.data.keys : undefined);
    const at = parseAt(q.success ? q.data.at : undefined, Date.now());
    const problem = !q.success ? q.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ')
      : !Array.isArray(keys) ? keys.error : typeof at !== 'number' ? at.error : null;
    if (problem !== null || !q.success || !Array.isArray(keys) || typeof at !== 'number') {
      res.status(400).json({ error: 'BAD_REQUEST', message: problem });
      return;
    }
    const whatIf = parseWhatIf(q.data, deps.rules.current());
    if ('error' in whatIf) {
      res.status(400).json({ error: 'BAD_REQUEST', message: whatIf.error });
      return;
    }
    const e = deps.calls.inbound.explain({ did: q.data.did, at, keys, ...whatIf });
    if ('error' in e) {
      res.status(400).json({ error: 'BAD_REQUEST', message: `did: ${e.error}` });
      return;
    }
    const caller = q.data.from ?? q.data.caller ?? null;
    res.json(explanationToJson({ did: q.data.did, caller, at, timezone: deps.rules.current().timezone, keys }, e));
  });

  router.get('/carriers/lookup', (req, res) => {
    const number = typeof req.query.number === 'string' ? req.query.number : '';
    const parsed = normalizePhone(number, { defaultCountry: 'RU' });
    if (!parsed.ok) {
      res.status(400).json({ error: parsed.code, message: parsed.message });
      return;
    }
    res.json({ e164: parsed.number.e164, carrier: deps.carriers.current().lookup(parsed.number.digits), index: deps.carriers.state() });
  });

  router.get('/calls', async (req, res) => {
    const limit = Math.min(500, Math.max(1, Number(req.query.limit ?? 50) || 50));
    res.json({ calls: await deps.calls.store.listCalls({ limit }) });
  });

  router.get('/calls/:key', async (req, res) => {
    const call = await deps.calls.store.findCall(req.params.key);
    if (!call) {
      res.status(404).json({ error: 'NOT_FOUND', message: `no call "${req.params.key}"` });
      return;
    }
    const attempts = await deps.calls.store.listAttempts(call.id);
    res.json(callReportToJson({ call, attempts, explanation: null }));
  });

  return router;
}
