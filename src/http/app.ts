/**
 * The backend's HTTP surface: JSON bodies, request logs, metrics, health probes, the live monitor and whatever
 * routers the composition root adds (the Twilio webhooks at /twilio, the HubSpot card API). Every error leaves
 * as JSON `{ error, details }` so callers always learn what was wrong.
 */
import express from 'express';
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import { z } from 'zod';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { runReadiness, type HealthCheck } from '../observability/health.js';
import { createMonitorRouter, type MonitorOptions } from './monitor/router.js';

export interface AppOptions {
  logger: Logger;
  metrics: Metrics;
  /** Readiness checks by name, e.g. { redis: redisPingCheck(redis), crm: () => crm.checkToken() }. */
  healthChecks?: Record<string, HealthCheck>;
  healthTimeoutMs?: number;
  /** The live monitor at /monitor; omitted = no monitor. */
  monitor?: Omit<MonitorOptions, 'logger'>;
  /** Extra routers (or any handler), mounted in order. */
  routers?: { path: string; router: RequestHandler }[];
  /** Serve Prometheus metrics at /metrics (default true). */
  metricsEndpoint?: boolean;
  /** Largest JSON body accepted. */
  bodyLimit?: string;
  /**
   * Path prefixes whose routers verify a signature over the raw body and parse it themselves (HubSpot): the
   * app's JSON parser leaves their bodies unread.
   */
  rawBodyPaths?: string[];
}

/** An error with an HTTP status and structured details, for route handlers to throw. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function createApp(options: AppOptions): Express {
  const { logger, metrics } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // The matched route pattern keeps metric labels bounded; unmatched paths are grouped.
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      metrics.httpRequests.inc({
        method: req.method,
        route,
        status: `${Math.floor(res.statusCode / 100)}xx`,
      });
      if (req.path === '/healthz' || req.path === '/readyz' || req.path === '/metrics') return;
      logger.info(
        { method: req.method, path: req.originalUrl, status: res.statusCode, ms: Math.round(ms * 10) / 10 },
        'http request',
      );
    });
    next();
  });

  const json = express.json({ limit: options.bodyLimit ?? '1mb' });
  const rawBodyPaths = options.rawBodyPaths ?? [];
  app.use((req, res, next) => {
    if (rawBodyPaths.some((p) => req.path === p || req.path.startsWith(`${p}/`))) next();
    else json(req, res, next);
  });

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const report = await runReadiness(options.healthChecks ?? {}, { timeoutMs: options.healthTimeoutMs });
    if (!report.ok) logger.warn({ checks: report.checks.filter((c) => !c.ok) }, 'not ready');
    res.status(report.ok ? 200 : 503).json(report);
  });
  if (options.metricsEndpoint ?? true) {
    app.get('/metrics', async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }

  if (options.monitor) app.use('/monitor', createMonitorRouter({ ...options.monitor, logger }));
  for (const { path, router } of options.routers ?? []) app.use(path, router);

  app.use((req, res) => {
    res.status(404).json({ error: 'not found', details: { method: req.method, path: req.path } });
  });

  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    const { status, body } = describeError(error);
    if (status >= 500) logger.error({ err: error, path: req.originalUrl }, 'request failed');
    else logger.warn({ path: req.originalUrl, status, error: body.error }, 'request rejected');
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json(body);
  };
  app.use(onError);
  return app;
}

function describeError(error: unknown): { status: number; body: { error: string; details?: unknown } } {
  if (error instanceof HttpError) {
    return { status: error.status, body: { error: error.message, details: error.details } };
  }
  if (error instanceof z.ZodError) {
    return {
      status: 400,
      body: {
        error: 'invalid request',
        details: error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message })),
      },
    };
  }
  const e = error as { status?: unknown; type?: unknown; message?: unknown };
  // body-parser errors carry a status (400 bad JSON, 413 too large).
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    const message =
      e.type === 'entity.parse.failed' ? 'malformed JSON body' : String(e.message ?? 'bad request');
    return { status: e.status, body: { error: message, details: { type: e.type } } };
  }
  return { status: 500, body: { error: 'internal error' } };
}
