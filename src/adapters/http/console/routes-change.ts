import fs from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response, Router } from 'express';
import { PlanImportRefusal } from '../../../app/console/plan-imports.ts';
import { ConsoleRefusal, type ConsoleService } from '../../../app/console/service.ts';
import { ctxOf } from './context.ts';
import { html } from './html.ts';
import { notice } from './layout.ts';
import { numberingPage } from './pages/numbering.ts';
import { outboxPage } from './pages/outbox.ts';
import { rulesEditPage, rulesPage } from './pages/rules.ts';
import { handle, sendPage } from './respond.ts';

/** The edited files from the form: `file:NAME` fields, CRLF from browsers turned back into LF. */
function filesOf(req: Request): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.body as Record<string, unknown>)) {
    if (k.startsWith('file:') && typeof v === 'string') files[k.slice(5)] = v.replace(/\r\n/g, '\n');
  }
  return files;
}

/** A plan file can be big (the DEF registry is tens of MB); anything past this is not a plan file. */
const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

function refusedJson(res: Response, err: unknown): void {
  if (!(err instanceof PlanImportRefusal)) throw err;
  res.status(409).json({ error: err.message });
}

/** Streams the request body into the file; refuses past the size cap without keeping the rest. */
async function receiveFile(req: Request, target: string): Promise<number> {
  let bytes = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(bytes > MAX_UPLOAD_BYTES ? new PlanImportRefusal(`file larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`) : null, chunk);
    },
  });
  await pipeline(req, cap, fs.createWriteStream(target, { flags: 'wx' }));
  return bytes;
}

/** The pages that change something: the router lets only admins with a valid CSRF token here. */
export function registerChangeRoutes(router: Router, service: ConsoleService): void {
  // A plan import from the page: create, send each file as the raw body, start, then poll (routes-read).
  router.post('/numbering/imports', handle(async (_req, res) => {
    res.status(201).json(await service.planImports.create(ctxOf(res).user!));
  }));

  router.post('/numbering/imports/:id/files', handle(async (req, res) => {
    const user = ctxOf(res).user!;
    const id = String(req.params.id);
    const name = typeof req.query.name === 'string' ? req.query.name : '';
    let target: string;
    try {
      target = service.planImports.fileTarget(id, name, user);
    } catch (err) {
      refusedJson(res, err);
      return;
    }
    try {
      await receiveFile(req, target);
    } catch (err) {
      // A broken-off or oversized upload leaves nothing behind: the admin sends the file again.
      service.planImports.dropFile(id, name);
      await fs.promises.rm(target, { force: true });
      refusedJson(res, err);
      return;
    }
    res.json(service.planImports.view(id));
  }));

  router.post('/numbering/imports/:id/start', handle(async (req, res) => {
    try {
      res.status(202).json(service.planImports.start(String(req.params.id), req.query.force === '1', ctxOf(res).user!));
    } catch (err) {
      refusedJson(res, err);
    }
  }));

  router.post('/numbering/rollback', handle(async (_req, res) => {
    const ctx = ctxOf(res);
    try {
      const r = await service.rollbackPlan(ctx.user!);
      res.redirect(303, `/console/numbering?rolledBack=${encodeURIComponent(`v${r.from} → v${r.to}`)}`);
    } catch (err) {
      if (!(err instanceof ConsoleRefusal)) throw err;
      sendPage(res, 409, numberingPage(ctx, { number: '', lookup: null, history: await service.planHistory(), message: notice('error', err.message) }));
    }
  }));

  router.post('/rules/preview', handle(async (req, res) => {
    const files = filesOf(req);
    const preview = await service.previewRules(files);
    sendPage(res, preview.check.ok ? 200 : 422, rulesEditPage(ctxOf(res), { files, preview, message: null }));
  }));

  router.post('/rules/save', handle(async (req, res) => {
    const ctx = ctxOf(res);
    const files = filesOf(req);
    const result = await service.saveRules(files, ctx.user!);
    if (!result.ok) {
      sendPage(res, 422, rulesEditPage(ctx, { files, preview: await service.previewRules(files), message: null }));
      return;
    }
    if (!result.changed) {
      sendPage(res, 200, rulesEditPage(ctx, { files, preview: null, message: notice('info', `${ctx.t('unchanged')} v${result.version}`) }));
      return;
    }
    res.redirect(303, `/console/rules?stored=${result.version}`);
  }));

  router.post('/rules/rollback', handle(async (req, res) => {
    const ctx = ctxOf(res);
    const version = Number((req.body as Record<string, unknown>).version);
    const result = Number.isInteger(version) && version > 0 ? await service.rollbackRules(version, ctx.user!) : { ok: false as const, errors: [`"${String((req.body as Record<string, unknown>).version)}" is not a version number`], warnings: [] };
    if (result.ok) {
      res.redirect(303, `/console/rules?stored=${result.version}`);
      return;
    }
    const newest = await service.rulesNewest();
    sendPage(res, 422, rulesPage(ctx, {
      shown: newest, inUse: newest?.version ?? null, history: await service.rulesHistory(),
      message: notice('error', html`${ctx.t('rulesErrors')}<ul>${result.errors.map((e) => html`<li>${e}</li>`)}</ul>`),
    }));
  }));

  router.post('/outbox/:id/retry', handle(async (req, res) => {
    const ctx = ctxOf(res);
    const id = Number(req.params.id);
    if (Number.isInteger(id) && id > 0 && await service.retryWrite(id, ctx.user!)) {
      res.redirect(303, `/console/outbox?retried=${id}`);
      return;
    }
    sendPage(res, 409, outboxPage(ctx, { counts: await service.outboxCounts(), parked: await service.parkedWrites(), message: notice('error', ctx.t('notParked')) }));
  }));
}
