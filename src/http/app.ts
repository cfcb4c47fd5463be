/**
 * The backend's HTTP surface: security headers, request logs, metrics, health probes, the live monitor (behind
 * sign-in when configured) and whatever routers the composition root adds (the Twilio webhooks at /twilio, the
 * HubSpot card API). Bodies are parsed only on routers that take them, with their own limits. Every error leaves
 * as JSON `{ error, details }` so callers always learn what was wrong, and bad input is never a 5xx.
 */
import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import type { ErrorRequestHandler, Express, Request, RequestHandler } from 'express';
import helmet from 'helmet';
import { z } from 'zod';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { runReadiness, type HealthCheck } from '../observability/health.js';
import { createMonitorRouter, type MonitorOptions, type MonitorRouter } from './monitor/router.js';
import { jsonBody } from './body.js';

/** Monitor sign-in: the /auth routes and the guard in front of /monitor (see http/auth). */
export interface MonitorSignIn {
  /** Mounted at /auth. */
  router: RequestHandler;
  /** In front of /monitor: lets a signed-in request through (recording its viewer), answers the rest. */
  requireSession: RequestHandler;
  viewer: NonNullable<MonitorOptions['viewer']>;
}

export interface RouterMount {
  path: string;
  router: RequestHandler;
  /**
   * How the app parses bodies before the router: 'json' (the default: size and depth limits below) or 'none'
   * (the router reads the body itself, e.g. to check a signature over the raw bytes first).
   */
  body?: 'json' | 'none';
  /** JSON limits for this router (defaults: 256kb, depth 16). */
  jsonLimit?: string;
  jsonMaxDepth?: number;
}

export interface AppOptions {
  logger: Logger;
  metrics: Metrics;
  /** Readiness checks by name, e.g. { redis: redisPingCheck(redis), crm: () => crm.checkToken() }. */
  healthChecks?: Record<string, HealthCheck>;
  healthTimeoutMs?: number;
  /** The live monitor at /monitor; omitted = no monitor. */
  monitor?: Omit<MonitorOptions, 'logger' | 'viewer'>;
  /** Sign-in in front of the monitor; omitted = the monitor is open (only ever on a loopback address). */
  signIn?: MonitorSignIn;
  /** Extra routers (or any handler), mounted in order. */
  routers?: RouterMount[];
  /** Serve Prometheus metrics at /metrics, to requests bearing this token; omitted = no /metrics. */
  metricsToken?: string;
  /** Largest JSON body accepted by routers that take JSON (default 256kb). */
  bodyLimit?: string;
  /** Production rules: HSTS, and the Host header must be the public URL's. */
  production?: boolean;
  /** The public URL (its host is the only Host accepted in production). */
  publicBaseUrl?: string;
  /** Proxy hops whose X-Forwarded-For is trusted (0 = none, the default). */
  trustProxyHops?: number;
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

/** The app, and what must be closed with it (the monitor's shared stream reader). */
export type App = Express & { closeMonitor(): Promise<void> };

/** Paths a load balancer probes by address, so they are exempt from the Host check. */
const PROBES = new Set(['/healthz', '/readyz']);

export function createApp(options: AppOptions): App {
  const { logger, metrics } = options;
  const app = express() as unknown as App;
  app.disable('x-powered-by');
  // Only the configured proxy hops may tell us the client's address; a client cannot forge its way in.
  app.set('trust proxy', options.trustProxyHops ?? 0);

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      metrics.httpRequests.inc({
        method: knownMethod(req.method),
        route: routeLabel(req),
        status: `${Math.floor(res.statusCode / 100)}xx`,
      });
      if (PROBES.has(req.path) || req.path === '/metrics') return;
      logger.info(
        { method: req.method, path: req.originalUrl, status: res.statusCode, ms: Math.round(ms * 10) / 10 },
        'http request',
      );
    });
    next();
  });

  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          scriptSrc: ["'self'"],
          // The monitor sets bar widths and legend colours as style attributes.
          styleSrc: ["'self'", "'unsafe-inline'"],
          connectSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      strictTransportSecurity: options.production ? { maxAge: 31_536_000, includeSubDomains: true } : false,
      referrerPolicy: { policy: 'no-referrer' },
      xContentTypeOptions: true,
      xFrameOptions: { action: 'deny' },
    }),
  );

  if (options.production && options.publicBaseUrl) {
    const expectedHost = new URL(options.publicBaseUrl).host.toLowerCase();
    app.use((req, res, next) => {
      // The raw header, not a forwarded one: the proxy passes the Host the client asked for.
      const host = (req.headers.host ?? '').toLowerCase();
      if (host === expectedHost || PROBES.has(req.path)) {
        next();
        return;
      }
      res.status(421).json({
        error: 'this backend answers only for its public host',
        details: { host: req.headers.host ?? null, expected: expectedHost },
      });
    });
  }

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const report = await runReadiness(options.healthChecks ?? {}, { timeoutMs: options.healthTimeoutMs });
    if (!report.ok) logger.warn({ checks: report.checks.filter((c) => !c.ok) }, 'not ready');
    res.status(report.ok ? 200 : 503).json(report);
  });
  if (options.metricsToken) {
    const expected = Buffer.from(`Bearer ${options.metricsToken}`);
    app.get('/metrics', async (req, res) => {
      const given = Buffer.from(req.get('authorization') ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        res
          .status(401)
          .set('WWW-Authenticate', 'Bearer realm="metrics"')
          .json({ error: 'metrics need the bearer token set in METRICS_TOKEN' });
        return;
      }
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }

  let monitor: MonitorRouter | undefined;
  if (options.monitor) {
    monitor = createMonitorRouter({
      ...options.monitor,
      logger,
      ...(options.signIn ? { viewer: options.signIn.viewer } : {}),
    });
    if (options.signIn) {
      app.use('/auth', options.signIn.router);
      app.use('/monitor', options.signIn.requireSession, monitor);
    } else {
      app.use('/monitor', monitor);
    }
  }
  for (const mount of options.routers ?? []) {
    if ((mount.body ?? 'json') === 'json') {
      app.use(
        mount.path,
        jsonBody({
          limit: mount.jsonLimit ?? options.bodyLimit ?? '256kb',
          maxDepth: mount.jsonMaxDepth ?? 16,
        }),
        mount.router,
      );
    } else {
      app.use(mount.path, mount.router);
    }
  }
  app.closeMonitor = async () => {
    await monitor?.close();
  };

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

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Methods outside the usual set share one label, like unknown paths. */
function knownMethod(method: string): string {
  return METHODS.has(method) ? method : 'OTHER';
}

/**
 * The route template a request matched (`/twilio/twiml/:flow`), or 'unmatched': labels stay bounded by the
 * number of routes whatever paths clients send.
 */
export function routeLabel(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  return typeof route?.path === 'string' ? `${req.baseUrl}${route.path}` : 'unmatched';
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
  // body-parser errors carry a status (400 bad JSON or too deep, 413 too large, 415 charset).
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    const message =
      e.type === 'entity.parse.failed'
        ? 'malformed JSON body'
        : e.type === 'entity.too.large'
          ? 'request body too large'
          : String(e.message ?? 'bad request');
    return { status: e.status, body: { error: message, details: { type: e.type } } };
  }
  return { status: 500, body: { error: 'internal error' } };
}
