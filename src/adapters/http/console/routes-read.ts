import type { Request, Response, Router } from 'express';
import type { SavingsViews } from '../../../app/console/ports.ts';
import type { ConsoleService } from '../../../app/console/service.ts';
import { savingsToCsv, savingsToJson } from '../../../app/savings/render.ts';
import { reportPeriod } from '../../../core/savings/period.ts';
import { CALL_ORIGINS, type CallOrigin } from '../../../core/rules/model.ts';
import { ctxOf, zonedDayStart } from './context.ts';
import { html } from './html.ts';
import { notice } from './layout.ts';
import { auditPage } from './pages/audit.ts';
import { callLogPage, callTracePage, type CallSearchForm } from './pages/calls.ts';
import { dashboardPage } from './pages/dashboard.ts';
import { numberingPage } from './pages/numbering.ts';
import { outboxPage } from './pages/outbox.ts';
import { rulesEditPage, rulesPage } from './pages/rules.ts';
import { SAVINGS_BY, SAVINGS_EXPORTS, savingsPage, savingsPlot, type SavingsExport, type SavingsForm } from './pages/savings.ts';
import { simulatorPage, type SimulatorForm } from './pages/simulator.ts';
import { handle, sendPage } from './respond.ts';

const DAY_MS = 86_400_000;

function q(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}

/** The savings report asked for in the query: days in the rules' zone, `to` inclusive, 30 days by default. */
async function savingsOf(req: Request, res: Response, service: ConsoleService): Promise<{ form: SavingsForm; views: SavingsViews | null; error: string | null }> {
  const ctx = ctxOf(res);
  const by = (SAVINGS_BY as readonly string[]).includes(q(req.query.by)) ? (q(req.query.by) as SavingsForm['by']) : 'carrier';
  const form: SavingsForm = { from: q(req.query.from), to: q(req.query.to), by };
  const report = service.savings;
  if (report === null) return { form, views: null, error: null };
  const period = reportPeriod({ ...(form.from ? { from: form.from } : {}), ...(form.to ? { to: form.to } : {}) }, ctx.timeZone, Date.now());
  if (typeof period === 'string') return { form, views: null, error: period.replace(/--(from|to)/g, (_m, w: 'from' | 'to') => ctx.t(w)) };
  return { form, views: await report.report({ ...period, by }), error: null };
}

/** The pages that only read: any signed-in role. */
export function registerReadRoutes(router: Router, service: ConsoleService): void {
  router.get('/', handle(async (_req, res) => {
    sendPage(res, 200, dashboardPage(ctxOf(res), await service.dashboard()));
  }));

  router.get('/calls', handle(async (req, res) => {
    const ctx = ctxOf(res);
    const form: CallSearchForm = { number: q(req.query.number), user: q(req.query.user), from: q(req.query.from), to: q(req.query.to), outcome: q(req.query.outcome) };
    const from = form.from ? zonedDayStart(form.from, ctx.timeZone) : undefined;
    const to = form.to ? zonedDayStart(form.to, ctx.timeZone) : undefined;
    if (from === null || to === null) {
      sendPage(res, 400, callLogPage(ctx, form, [], `${ctx.t('from')}/${ctx.t('to')}: YYYY-MM-DD`));
      return;
    }
    const calls = await service.searchCalls({
      limit: 200,
      ...(form.number ? { number: form.number } : {}),
      ...(form.user ? { user: form.user } : {}),
      ...(form.outcome ? { outcome: form.outcome } : {}),
      ...(from !== undefined ? { from } : {}),
      // "to" names a whole day: calls up to its end.
      ...(to !== undefined ? { to: to + DAY_MS } : {}),
    });
    sendPage(res, 200, callLogPage(ctx, form, calls, null));
  }));

  router.get('/calls/:key', handle(async (req, res) => {
    const ctx = ctxOf(res);
    const trace = await service.callTrace(String(req.params.key));
    if (!trace) {
      sendPage(res, 404, callLogPage(ctx, { number: '', user: '', from: '', to: '', outcome: '' }, [], ctx.t('callNotFound')));
      return;
    }
    sendPage(res, 200, callTracePage(ctx, trace));
  }));

  router.get('/route', (req, res) => {
    const ctx = ctxOf(res);
    const form: SimulatorForm = {
      user: q(req.query.user), extension: q(req.query.extension), number: q(req.query.number),
      origin: (CALL_ORIGINS as readonly string[]).includes(q(req.query.origin)) ? q(req.query.origin) : 'phone', line: q(req.query.line),
    };
    const asked = Object.keys(req.query).some((k) => k !== 'lang');
    let result = null;
    if (asked) {
      if (!form.user && !form.extension) result = { error: ctx.t('giveUserOrExt') };
      else if (!form.number) result = { error: ctx.t('giveNumber') };
      else {
        result = {
          decision: service.simulate({
            user: form.user || null, extension: form.extension || null, number: form.number, origin: form.origin as CallOrigin, line: form.line || null,
          }),
        };
      }
    }
    sendPage(res, result && 'decision' in result && result.decision.refused ? 422 : result && 'error' in result ? 400 : 200, simulatorPage(ctx, form, CALL_ORIGINS, result));
  });

  router.get('/numbering', handle(async (req, res) => {
    const ctx = ctxOf(res);
    const number = q(req.query.number);
    const rolled = q(req.query.rolledBack);
    const imported = q(req.query.imported);
    sendPage(res, 200, numberingPage(ctx, {
      number,
      lookup: number ? service.lookupNumber(number) : null,
      history: await service.planHistory(),
      message: rolled ? notice('ok', html`${ctx.t('done')} ${rolled}`) : imported ? notice('ok', html`<span id="import-done">${ctx.t('importDone')} v${imported}</span>`) : null,
    }));
  }));

  // Where a plan import is (the page polls this while the import runs).
  router.get('/numbering/imports/:id', (req, res) => {
    const view = service.planImports.view(String(req.params.id));
    if (view) res.json(view);
    else res.status(404).json({ error: `no import ${String(req.params.id)}` });
  });

  router.get('/rules', handle(async (req, res) => {
    const ctx = ctxOf(res);
    const asked = Number(q(req.query.version));
    const newest = await service.rulesNewest();
    const shown = Number.isInteger(asked) && asked > 0 ? await service.rulesVersion(asked) : newest;
    const stored = q(req.query.stored);
    sendPage(res, shown || !asked ? 200 : 404, rulesPage(ctx, {
      shown, inUse: newest?.version ?? null, history: await service.rulesHistory(),
      message: stored ? notice('ok', `${ctx.t('stored')} v${stored}`) : null,
    }));
  }));

  router.get('/rules/edit', handle(async (_req, res) => {
    const newest = await service.rulesNewest();
    sendPage(res, 200, rulesEditPage(ctxOf(res), { files: newest?.files ?? {}, preview: null, message: null }));
  }));

  router.get('/outbox', handle(async (req, res) => {
    const ctx = ctxOf(res);
    const retried = q(req.query.retried);
    sendPage(res, 200, outboxPage(ctx, {
      counts: await service.outboxCounts(), parked: await service.parkedWrites(),
      message: retried ? notice('ok', `${ctx.t('retried')} #${retried}`) : null,
    }));
  }));

  router.get('/savings', handle(async (req, res) => {
    const ctx = ctxOf(res);
    const asked = await savingsOf(req, res, service);
    sendPage(res, asked.error ? 400 : 200, savingsPage(ctx, { ...asked, available: service.savings !== null }));
  }));

  // The report and each plot as files (the same period and grouping as the page).
  router.get('/savings/export/:file', handle(async (req, res) => {
    const ctx = ctxOf(res);
    const file = String(req.params.file) as SavingsExport;
    const asked = service.savings !== null && SAVINGS_EXPORTS.includes(file) ? await savingsOf(req, res, service) : null;
    if (asked === null || asked.views === null) {
      sendPage(res, asked?.error ? 400 : 404, savingsPage(ctx, { views: null, form: asked?.form ?? { from: '', to: '', by: 'carrier' }, error: asked?.error ?? ctx.t('notFound'), available: service.savings !== null }));
      return;
    }
    res.attachment(file);
    if (file === 'report.csv') res.type('text/csv; charset=utf-8').send(savingsToCsv(asked.views.report));
    else if (file === 'report.json') res.json(savingsToJson(asked.views.report));
    else res.type('image/svg+xml').send(`<?xml version="1.0" encoding="UTF-8"?>\n${savingsPlot(ctx, asked.views, file).text}`);
  }));

  router.get('/audit', handle(async (_req, res) => {
    const ctx = ctxOf(res);
    if (ctx.user?.role !== 'admin') {
      sendPage(res, 403, auditPage(ctx, []));
      return;
    }
    sendPage(res, 200, auditPage(ctx, await service.auditLog()));
  }));
}
