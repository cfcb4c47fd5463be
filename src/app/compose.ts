/**
 * The composition root: builds the whole backend from the parsed environment (store, clock, telephony, CRM,
 * engine, CRM writeback, HTTP app) without listening on a port, so tests and the demo run the very wiring
 * `npm start` runs. Nothing here decides anything; it only connects the parts.
 */
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express, RequestHandler } from 'express';
import { Redis } from 'ioredis';
import type { Env } from '../config/env.js';
import { CampaignService } from '../engine/campaigns.js';
import type { ZoneLookup } from '../engine/campaigns.js';
import { realClock } from '../engine/clock.js';
import type { Clock } from '../engine/clock.js';
import { Engine, portalOfAttempt } from '../engine/dialer.js';
import type { EngineLimits, EngineOptions } from '../engine/dialer.js';
import { AccountSettingsSchema } from '../domain/settings.js';
import { MemoryStore } from '../engine/store/memory-store.js';
import { RedisStore } from '../engine/store/redis-store.js';
import type { Store } from '../engine/store/store.js';
import type { Crm } from '../crm/crm.js';
import { LocalSampleCrm } from '../crm/local-sample-crm.js';
import { startWriteback } from '../crm/writeback.js';
import type { Writeback } from '../crm/writeback.js';
import { createApp } from '../http/app.js';
import { createLiveSnapshot } from '../http/monitor/live-snapshot.js';
import type { CampaignInfo, LiveSnapshot } from '../http/monitor/live-snapshot.js';
import { createMetricsObserver } from '../observability/engine-observer.js';
import { redisPingCheck } from '../observability/health.js';
import type { HealthCheck } from '../observability/health.js';
import { createLogger } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import type { Metrics } from '../observability/metrics.js';
import { createNumberZoneLookup } from '../telephony/number-zones.js';
import { SimulatedCarrier } from '../telephony/simulator/simulated-carrier.js';
import type { OutcomeMix } from '../telephony/simulator/simulated-carrier.js';
import type { CallEvent, Telephony } from '../telephony/telephony.js';
import { TwilioTelephony, createTwilioClient } from '../telephony/twilio/twilio-telephony.js';
import type { TelephonyWarning } from '../telephony/twilio/twilio-telephony.js';
import { createTwilioWebhookRouter } from '../telephony/twilio/webhooks.js';
import { prepareHubSpotInbound } from './hubspot-inbound.js';
import { createTwimlFlows } from './twiml-for.js';

/** A configuration the code does not support yet (as opposed to a malformed one). */
export class UnsupportedConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedConfigError';
  }
}

export interface ComposeOverrides {
  /** Engine, simulator and writeback time (the demo's simulation clock); real time by default. */
  clock?: Clock;
  logger?: Logger;
  metrics?: Metrics;
  /** The CRM (the demo passes its populated LocalSampleCrm). */
  crm?: LocalSampleCrm;
  /** Simulated carrier: seed and outcome mix. */
  simulator?: { seed?: number; mix?: Partial<OutcomeMix> };
  zones?: ZoneLookup;
  random?: () => number;
  engine?: Pick<EngineOptions, 'timings' | 'limits'>;
  /** Writeback tuning (the demo's reclaim checks run on simulated time). */
  writeback?: { blockMs?: number; claimIdleMs?: number; claimEveryMs?: number };
  /** Readiness probe timeout. */
  healthTimeoutMs?: number;
  /** On close, how long (real ms) calls already placed on the simulator may take to report their end. */
  drainTimeoutMs?: number;
}

export interface Backend {
  readonly env: Env;
  readonly portalId: string;
  readonly app: Express;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly store: Store;
  readonly campaigns: CampaignService;
  readonly engine: Engine;
  readonly telephony: Telephony;
  /** The simulated carrier when TELEPHONY=simulator. */
  readonly simulator: SimulatedCarrier | null;
  readonly crm: Crm;
  /** The local CRM when CRM=local (for reports and inspection). */
  readonly localCrm: LocalSampleCrm | null;
  /** Started by start(); null before. */
  readonly writeback: Writeback | null;
  /** Starts the engine for the portal, the CRM writeback and the monitor's snapshot. */
  start(): Promise<void>;
  /** Listens on `port` (0 = any free port); resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /** Graceful stop: engine first (no new dials), then the writeback drains, then HTTP, then Redis. */
  close(): Promise<void>;
}

function campaignInfoCache(store: Store, portalId: string) {
  const info = new Map<string, CampaignInfo>();
  let timer: NodeJS.Timeout | undefined;
  const refresh = async () => {
    try {
      for (const c of await store.listCampaigns(portalId)) {
        info.set(c.campaignId, { name: c.settings.name, status: c.status, pace: c.settings.pace });
      }
    } catch {
      // The monitor shows what it last knew; readiness reports the store itself.
    }
  };
  return {
    get: (campaignId: string) => info.get(campaignId),
    start() {
      void refresh();
      timer = setInterval(() => void refresh(), 2000);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}

export async function composeBackend(env: Env, overrides: ComposeOverrides = {}): Promise<Backend> {
  if (env.CRM === 'hubspot') {
    throw new UnsupportedConfigError(
      'CRM=hubspot is not implemented yet: the HubSpot CRM adapter has its own issue. Use CRM=local for now.',
    );
  }
  const logger = overrides.logger ?? createLogger({ level: env.LOG_LEVEL });
  const metrics = overrides.metrics ?? createMetrics({ processMetrics: env.NODE_ENV === 'production' });
  const clock = overrides.clock ?? realClock;
  const portalId = env.HUBSPOT_PORTAL_ID;
  const random = overrides.random ?? Math.random;

  // Store: Redis when configured (its own connection; RedisStore duplicates it for pub/sub and the blocking
  // reads of the monitor and the writeback), the in-process store otherwise.
  let redis: Redis | null = null;
  let store: Store;
  const healthChecks: Record<string, HealthCheck> = {};
  if (env.REDIS_URL) {
    redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: false });
    let lastRedisError = 0;
    redis.on('error', (err: Error) => {
      // A down Redis errors on every reconnect try: one line every 10 s is enough.
      if (Date.now() - lastRedisError < 10_000) return;
      lastRedisError = Date.now();
      logger.error({ err }, 'redis connection error');
    });
    store = new RedisStore({ redis, keyPrefix: env.REDIS_KEY_PREFIX });
    healthChecks.redis = redisPingCheck(redis);
  } else {
    store = new MemoryStore(clock);
  }

  const zones = overrides.zones ?? createNumberZoneLookup();
  // Account limits and settings come from the environment (one account per backend for now).
  const account = AccountSettingsSchema.parse({
    timeZone: env.ACCOUNT_TIME_ZONE,
    defaultRegion: env.DEFAULT_REGION,
  });
  const limits: EngineLimits = {
    account: { callsPerSecond: env.ACCOUNT_CPS, maxConcurrentCalls: env.ACCOUNT_MAX_CONCURRENT },
    callerId: { callsPerSecond: env.CALLER_ID_CPS, maxConcurrentCalls: env.ACCOUNT_MAX_CONCURRENT },
  };
  // CRM=hubspot: webhooks, DNC, privacy and the workflow action; its registry guard holds campaign starts.
  // (The cast: until the HubSpot adapter lifts the start-up refusal above, TypeScript knows CRM is local here.)
  const hubspotParts =
    (env.CRM as Env['CRM']) === 'hubspot' ? await prepareHubSpotInbound(env, logger) : null;
  const campaigns = new CampaignService({
    store,
    clock,
    zones,
    random,
    account: () => account,
    ...(hubspotParts ? { dialGuard: hubspotParts.dialGuard } : {}),
  });

  // The engine is the carrier's event sink, and the carrier is the engine's telephony: bind late.
  let engine: Engine | null = null;
  const sink = {
    handleCallEvent: (event: CallEvent) => {
      if (!engine) throw new Error('call event before the engine was built');
      return engine.handleCallEvent(event);
    },
  };
  let telephony: Telephony;
  let simulator: SimulatedCarrier | null = null;
  let twilioTelephony: TwilioTelephony | null = null;
  const onWarning = (warning: TelephonyWarning) => {
    logger.warn({ code: warning.code, providerCallId: warning.providerCallId }, warning.message);
    if (warning.code === 'TWILIO_QUEUEING' && engine) {
      engine.handleTelephonyWarning(warning).catch((err: unknown) => {
        logger.error({ err }, 'could not lower the pace after a carrier warning');
      });
    }
  };
  if (env.TELEPHONY === 'twilio') {
    twilioTelephony = new TwilioTelephony({
      client: createTwilioClient(env.TWILIO_ACCOUNT_SID!, env.TWILIO_AUTH_TOKEN!),
      publicBaseUrl: env.PUBLIC_BASE_URL!,
      onWarning,
      resolveAmd: async (attemptId) => {
        const attempt = await findAttempt(store, attemptId);
        if (!attempt) return undefined;
        return (await store.getCampaign(attempt.portalId, attempt.campaignId))?.settings.amd;
      },
    });
    telephony = twilioTelephony;
  } else {
    simulator = new SimulatedCarrier({
      sink,
      clock,
      seed: overrides.simulator?.seed ?? Math.floor(random() * 2 ** 31),
      ...(overrides.simulator?.mix ? { mix: overrides.simulator.mix } : {}),
      onSinkError: (err, event) =>
        logger.error({ err, attemptId: event.attemptId }, 'engine could not record a call event'),
    });
    telephony = simulator;
  }

  engine = new Engine({
    store,
    telephony,
    clock,
    campaigns,
    zones,
    random,
    observer: createMetricsObserver(metrics, logger),
    onError: (err: unknown) => logger.error({ err }, 'engine background loop error'),
    limits: () => limits,
    ...overrides.engine,
  });

  const localCrm = overrides.crm ?? new LocalSampleCrm();
  const crm: Crm = localCrm;

  const info = campaignInfoCache(store, portalId);
  const live: LiveSnapshot = createLiveSnapshot({
    eventLog: store,
    portalId,
    campaignInfo: info.get,
    logger,
  });

  const routers: { path: string; router: RequestHandler }[] = [];
  if (twilioTelephony) {
    const tel = twilioTelephony;
    const twilioRouter = createTwilioWebhookRouter({
      authToken: env.TWILIO_AUTH_TOKEN!,
      publicBaseUrl: env.PUBLIC_BASE_URL!,
      sink: engine,
      flows: createTwimlFlows({
        store,
        flowTwiml: (request) => tel.flowTwiml(request),
        onUnknownAttempt: (attemptId) => logger.warn({ attemptId }, 'TwiML asked for an unknown attempt'),
      }),
      machineHandler: tel,
      onWarning,
      logger,
      now: () => clock.now(),
    });
    routers.push({ path: '/twilio', router: withLatency(twilioRouter, metrics) });
  }

  const hubspotInbound = hubspotParts?.build({
    store,
    campaigns,
    clock,
    logger,
    account: () => account,
    consumer: `${hostname()}-${process.pid}`,
  });
  if (hubspotInbound) routers.push({ path: hubspotInbound.path, router: hubspotInbound.router });

  const app = createApp({
    logger,
    metrics,
    metricsEndpoint: env.METRICS_ENABLED,
    healthChecks,
    ...(overrides.healthTimeoutMs !== undefined ? { healthTimeoutMs: overrides.healthTimeoutMs } : {}),
    monitor: { eventLog: store, portalId, snapshot: () => live.snapshot() },
    routers,
    ...(hubspotInbound ? { rawBodyPaths: [hubspotInbound.path] } : {}),
  });

  let writeback: Writeback | null = null;
  let server: Server | null = null;
  let liveCallsTimer: NodeJS.Timeout | undefined;
  let started = false;
  let closed = false;

  const backend: Backend = {
    env,
    portalId,
    app,
    logger,
    metrics,
    clock,
    store,
    campaigns,
    engine,
    telephony,
    simulator,
    crm,
    localCrm,
    get writeback() {
      return writeback;
    },
    async start() {
      if (started) throw new Error('backend already started');
      started = true;
      info.start();
      engine!.start([portalId]);
      hubspotInbound?.start([portalId]);
      writeback = startWriteback({
        eventLog: store,
        portalId,
        crm,
        consumer: `${hostname()}-${process.pid}`,
        clock,
        logger,
        metrics,
        random,
        ...overrides.writeback,
      });
      // Live calls across every process of the portal, from the store's account-level concurrency slots.
      liveCallsTimer = setInterval(() => {
        store
          .liveCount(portalId, 'acct', clock.now())
          .then((n) => metrics.liveCalls.set(n))
          .catch(() => {});
      }, 5000);
      liveCallsTimer.unref();
    },
    listen(port, host) {
      return new Promise((resolve, reject) => {
        const s = app.listen(port, host ?? '0.0.0.0', (err?: Error) => {
          if (err) reject(err);
          else resolve((s.address() as AddressInfo).port);
        });
        s.once('error', reject);
        server = s;
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(liveCallsTimer);
      info.stop();
      await engine!.stop();
      // Calls already placed keep reporting until they end; their outcomes still reach the writeback.
      if (simulator) await withTimeout(simulator.whenIdle(), overrides.drainTimeoutMs ?? 5000);
      await writeback?.stop();
      await hubspotInbound?.stop();
      await live.stop();
      if (server) {
        const s = server;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      }
      await store.close();
      await hubspotParts?.close();
      // QUIT lets Redis finish what it has; a Redis that is down gets a plain disconnect.
      if (redis?.status === 'ready') await redis.quit().catch(() => redis?.disconnect());
      else redis?.disconnect();
    },
  };
  return backend;
}

/** Webhook handling time per route, for the autodial_webhook_latency_seconds histogram. */
function withLatency(router: RequestHandler, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = `/twilio${req.path.startsWith('/twiml/') ? '/twiml' : req.path}`;
      metrics.webhookLatencySeconds.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    router(req, res, next);
  };
}

/** The attempt of an id, in its portal (the id carries the portal). */
async function findAttempt(store: Store, attemptId: string) {
  const portalId = portalOfAttempt(attemptId);
  return portalId ? store.getAttempt(portalId, attemptId) : null;
}

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
