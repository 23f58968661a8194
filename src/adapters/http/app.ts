import express, { type ErrorRequestHandler, type Router } from 'express';
import type { Logger } from '../logging/logger.ts';
import type { Metrics } from '../metrics/metrics.ts';

export interface ReadinessCheck {
  readonly name: string;
  /** Resolves true when the dependency is usable; a rejection counts as not ready. */
  check(): Promise<boolean>;
}

export interface HttpAppOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly readiness: readonly ReadinessCheck[];
  /**
   * Which proxies' X-Forwarded-* headers to believe (express `trust proxy`): decides whether a
   * request counts as HTTPS, so the console's cookies are Secure behind a TLS-terminating proxy.
   */
  readonly trustProxy?: string;
  /** Routers mounted at their paths, in order. Each parses its own body format. */
  readonly routers: readonly { readonly path: string; readonly router: Router }[];
}

/**
 * The HTTP face of the service: health, readiness, metrics, and the routers of the adapters
 * (Bitrix24 events, the CURL route endpoint, admin). One error handler decides what a failure
 * looks like to the client: a generic message and a request id, never internals or secrets.
 */
export function createHttpApp(options: HttpAppOptions): express.Express {
  const { logger, metrics } = options;
  const app = express();
  app.disable('x-powered-by');
  // Replies are small JSON to machines: no ETag (a hash of every body) to compute.
  app.set('etag', false);
  app.set('trust proxy', trustProxyValue(options.trustProxy ?? 'loopback'));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const results: Record<string, boolean> = {};
    await Promise.all(
      options.readiness.map(async (r) => {
        results[r.name] = await withTimeout(r.check(), 2000).catch(() => false);
      }),
    );
    const ready = Object.values(results).every(Boolean);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not-ready', checks: results });
  });

  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  for (const { path, router } of options.routers) app.use(path, router);

  app.use((_req, res) => {
    res.status(404).json({ error: 'NOT_FOUND' });
  });

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    // Body-parser errors (malformed JSON/form) are the client's; everything else is ours.
    if (status >= 500) logger.error({ err, path: req.path }, 'request failed');
    else logger.warn({ path: req.path, status, reason: err?.type ?? err?.message }, 'bad request');
    if (res.headersSent) return;
    res.status(status).json({ error: status >= 500 ? 'INTERNAL' : 'BAD_REQUEST', message: status >= 500 ? 'internal error' : String(err?.message ?? 'bad request') });
  };
  app.use(onError);
  return app;
}

/** `true`/`false`, a hop count, or addresses and names express understands (`loopback, 10.0.0.0/8`). */
function trustProxyValue(v: string): boolean | number | string {
  if (v === 'true' || v === 'false') return v === 'true';
  if (/^\d+$/.test(v)) return Number(v);
  return v;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
