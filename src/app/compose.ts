/**
 * The composition root: builds the whole backend from the parsed environment (store, clock, telephony, CRM,
 * engine, CRM writeback, HTTP app) without listening on a port, so tests and the demo run the very wiring
 * `npm start` runs. Nothing here decides anything; it only connects the parts.
 */
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from 'express';
import { listenHost } from '../config/env.js';
import type { Env } from '../config/env.js';
import { CampaignService } from '../engine/campaigns.js';
import type { ZoneLookup } from '../engine/campaigns.js';
import { realClock } from '../shared/clock.js';
import type { Clock } from '../shared/clock.js';
import { DEFAULT_MAX_CLOCK_SKEW_MS } from '../engine/clock-guard.js';
import { Engine, portalOfAttempt } from '../engine/dialer.js';
import type { EngineLimits, EngineOptions } from '../engine/dialer.js';
import { AccountSettingsSchema } from '../domain/settings.js';
import { MemoryStore } from '../engine/store/memory-store.js';
import { RedisStore } from '../engine/store/redis-store.js';
import { connectRedis, describeTarget, ping as pingRedis } from '../engine/store/redis/connection.js';
import type { RedisConnection, RedisErrorLog, RedisTarget } from '../engine/store/redis/connection.js';
import type { Store } from '../engine/store/store.js';
import type { Crm } from '../crm/crm.js';
import { LocalSampleCrm } from '../crm/local-sample-crm.js';
import { createHubSpotAdapter } from '../crm/hubspot/adapter.js';
import { createHubSpotClient } from '../crm/hubspot/client.js';
import type { HubSpotAdapter } from '../crm/hubspot/adapter.js';
import { startWriteback } from '../crm/writeback.js';
import type { Writeback } from '../crm/writeback.js';
import { createApp, routeLabel } from '../http/app.js';
import type { App, RouterMount } from '../http/app.js';
import type { IdentityProvider } from '../http/auth/hubspot-identity.js';
import { createWebhookServer } from '../http/server-timeouts.js';
import { MemoryAccountDefaults } from '../http/api/local-adapters.js';
import type { RoleDirectory } from '../http/api/roles.js';
import { createLiveSnapshot } from '../http/monitor/live-snapshot.js';
import type { LiveSnapshot } from '../http/monitor/live-snapshot.js';
import { createMetricsObserver } from '../observability/engine-observer.js';
import { redisPingCheck } from '../observability/health.js';
import { RedisAccountDefaults } from '../http/api/stores/redis-account-defaults.js';
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
import { cardApiRouters } from './card-api.js';
import { campaignInfoCache, monitorSignIn } from './monitor-wiring.js';
import { prepareHubSpotInbound } from './hubspot-inbound.js';
import { createTwimlFlows } from './twiml-for.js';
import { installedPortalRegistry, staticPortalRegistry } from './portal-registry.js';
import type { PortalChange, PortalRegistry } from './portal-registry.js';

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
  /**
   * Engine tuning. `clockCheck` (the worker clock against Redis TIME) is on by default on Redis with real time,
   * bound DEFAULT_MAX_CLOCK_SKEW_MS; a virtual clock (the demo's) is unchecked unless given here.
   */
  engine?: Pick<EngineOptions, 'timings' | 'limits' | 'clockCheck'>;
  /** Writeback tuning (the demo's reclaim checks run on simulated time). */
  writeback?: { blockMs?: number; claimIdleMs?: number; claimEveryMs?: number };
  /** Readiness probe timeout. */
  healthTimeoutMs?: number;
  /** On close, how long (real ms) calls already placed on the simulator may take to report their end. */
  drainTimeoutMs?: number;
  /** OAuth mode: how often (ms) the set of installed portals is re-read (default 5 s). */
  portalRefreshMs?: number;
  /** Monitor sign-in identity (tests); HubSpot OAuth from the environment by default. */
  signInProvider?: IdentityProvider;
  /** Who may manage campaigns (default: HubSpot's users API with HUBSPOT_ACCESS_TOKEN, else nobody). */
  roles?: RoleDirectory;
}

export interface Backend {
  readonly env: Env;
  readonly portalId: string;
  readonly app: App;
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
  /** The HubSpot adapter when CRM=hubspot (`crmFor(portalId)` gives any portal's Crm). */
  readonly hubspot: HubSpotAdapter | null;
  /** Started by start(); null before (the writeback of HUBSPOT_PORTAL_ID, or of the first served portal). */
  readonly writeback: Writeback | null;
  /** The portals served (one in static-token/local mode; every installed portal in OAuth mode). */
  readonly portals: PortalRegistry;
  /** The running writeback consumer of each served portal. */
  readonly writebacks: ReadonlyMap<string, Writeback>;
  /** Starts the engine for the portal, the CRM writeback and the monitor's snapshot. */
  start(): Promise<void>;
  /** Listens on `port` (0 = any free port) at `host` (HOST; loopback outside production); resolves with the port. */
  listen(port: number, host?: string): Promise<number>;
  /** Graceful stop: engine first (no new dials), then the writeback drains, then HTTP, then Redis. */
  close(): Promise<void>;
}

export async function composeBackend(env: Env, overrides: ComposeOverrides = {}): Promise<Backend> {
  const logger = overrides.logger ?? createLogger({ level: env.LOG_LEVEL });
  const metrics = overrides.metrics ?? createMetrics({ processMetrics: env.NODE_ENV === 'production' });
  const clock = overrides.clock ?? realClock;
  const portalId = env.HUBSPOT_PORTAL_ID;
  const random = overrides.random ?? Math.random;

  // Store: Redis when configured (its own connection; RedisStore duplicates it for pub/sub and the blocking
  // reads of the monitor and the writeback), the in-process store otherwise.
  let redis: RedisConnection | null = null;
  let store: Store;
  const healthChecks: Record<string, HealthCheck> = {};
  const redisTarget: RedisTarget | null = env.REDIS_CLUSTER_NODES
    ? { clusterNodes: env.REDIS_CLUSTER_NODES }
    : env.REDIS_URL
      ? { url: env.REDIS_URL }
      : null;
  if (redisTarget) {
    // Every connection (this one, and the store's pub/sub and blocking-read duplicates) logs its errors here:
    // the first of an outage at once, then one line every 10 s while it lasts, always naming the address.
    const where = describeTarget(redisTarget);
    const logRedisError: RedisErrorLog = (message, err) =>
      logger.error({ err, redis: where }, `${message} (${where})`);
    // Unreachable at start-up: throws RedisUnavailableError, and the process stops before it listens.
    redis = await connectRedis(redisTarget, logRedisError);
    store = new RedisStore({ redis, keyPrefix: env.REDIS_KEY_PREFIX, onConnectionError: logRedisError });
    const conn = redis;
    healthChecks.redis = redisPingCheck({ ping: () => pingRedis(conn) });
  } else {
    store = new MemoryStore(clock);
  }

  const zones = overrides.zones ?? createNumberZoneLookup();
  // Account limits and settings come from the environment (one account per backend for now).
  const account = AccountSettingsSchema.parse({
    timeZone: env.ACCOUNT_TIME_ZONE,
    defaultRegion: env.DEFAULT_REGION,
  });
  // the settings page edits these per portal; the engine reads them on every decision
  // with Redis they persist per portal (every process and a restart see a manager's save)
  const accountDefaults = redis
    ? new RedisAccountDefaults(redis, env.REDIS_KEY_PREFIX, account)
    : new MemoryAccountDefaults(account);
  const limits: EngineLimits = {
    account: { callsPerSecond: env.ACCOUNT_CPS, maxConcurrentCalls: env.ACCOUNT_MAX_CONCURRENT },
    callerId: { callsPerSecond: env.CALLER_ID_CPS, maxConcurrentCalls: env.ACCOUNT_MAX_CONCURRENT },
  };
  // CRM=hubspot: webhooks, DNC, privacy and the workflow action; its registry guard holds campaign starts.
  const hubspotParts = env.CRM === 'hubspot' ? await prepareHubSpotInbound(env, logger) : null;
  const campaigns = new CampaignService({
    store,
    clock,
    zones,
    random,
    account: (p) => accountDefaults.settingsOf(p),
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
    // compliance times come from this worker's clock: on Redis it must agree with the one all workers share
    ...(redis && !overrides.clock ? { clockCheck: { maxSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS } } : {}),
    ...overrides.engine,
  });
  if (engine.checksClock) {
    const checked = engine;
    healthChecks.clock = () => checked.clockCheck();
  }

  // CRM=hubspot: the HubSpot adapter (its own node-redis connection; REDIS_URL is required with it).
  // An install served by this process is served at once; other processes see it at their next re-read.
  let onInstalled = (_portalId: string): void => {};
  const hubspot =
    env.CRM === 'hubspot'
      ? await createHubSpotAdapter(env, { clock, logger, onInstalled: (p) => onInstalled(p) })
      : null;
  const oauthMode = Boolean(hubspot?.installer);
  const portals: PortalRegistry = oauthMode
    ? installedPortalRegistry({
        installedPortals: () => hubspot!.installedPortals(),
        ...(overrides.portalRefreshMs !== undefined ? { everyMs: overrides.portalRefreshMs } : {}),
        onError: (err) => logger.error({ err }, 'could not read the installed HubSpot portals'),
      })
    : staticPortalRegistry(portalId);
  const localCrm = hubspot ? null : (overrides.crm ?? new LocalSampleCrm());
  const crm: Crm = hubspot ? hubspot.crmFor(portalId) : localCrm!;

  const info = campaignInfoCache(store, portalId, engine);
  const live: LiveSnapshot = createLiveSnapshot({
    eventLog: store,
    portalId,
    campaignInfo: info.get,
    logger,
  });

  const routers: RouterMount[] = [];
  if (twilioTelephony) {
    const tel = twilioTelephony;
    const twilioRouter = createTwilioWebhookRouter({
      authToken: env.TWILIO_AUTH_TOKEN!,
      publicBaseUrl: env.PUBLIC_BASE_URL!,
      sink: engine,
      flows: createTwimlFlows({
        store,
        flowTwiml: (request) => tel.flowTwiml(request),
        contactLegCheck: (attemptId) => engine!.clickToCallAnswered(attemptId),
        onUnknownAttempt: (attemptId) => logger.warn({ attemptId }, 'TwiML asked for an unknown attempt'),
      }),
      machineHandler: tel,
      onWarning,
      logger,
      now: () => clock.now(),
    });
    // The router reads its raw form body itself, to check the signature before parsing anything.
    routers.push({ path: '/twilio', router: withLatency(twilioRouter, metrics), body: 'none' });
  }

  const signIn = monitorSignIn(env, logger, overrides.signInProvider);
  const production = env.NODE_ENV === 'production';
  // In production the monitor exists only behind sign-in; elsewhere it is open, on a loopback address only.
  const monitorOn = Boolean(signIn) || !production;
  if (!monitorOn) {
    logger.warn(
      'monitor off: in production it needs sign-in (SESSION_SECRET, HUBSPOT_CLIENT_ID, HUBSPOT_CLIENT_SECRET)',
    );
  }
  if (hubspot) routers.push(...hubspot.routers);
  routers.push(
    ...cardApiRouters({
      env,
      portalId,
      store,
      campaigns,
      engine,
      clock,
      zones,
      accounts: accountDefaults,
      localCrm,
      hubspot,
      crm,
      servedPortals: oauthMode ? () => portals.portals() : null,
      twilioConfigured: twilioTelephony !== null,
      activity: () => live.snapshot(),
      logger,
      ...(overrides.roles ? { roles: overrides.roles } : {}),
    }),
  );

  const hubspotInbound = hubspotParts?.build({
    store,
    campaigns,
    clock,
    logger,
    account: (p: string) => accountDefaults.settingsOf(p),
    consumer: `${hostname()}-${process.pid}`,
    // each portal's client with its own (refreshed) token, in static-token and OAuth mode alike
    ...(hubspot
      ? {
          clients: async (p: string) =>
            createHubSpotClient({ accessToken: await hubspot.tokens.accessToken(p) }),
        }
      : {}),
  });
  // signed routers read their raw bodies themselves (the signature covers the exact bytes)
  if (hubspotInbound)
    routers.push({ path: hubspotInbound.path, router: hubspotInbound.router, body: 'none' });

  const app = createApp({
    logger,
    metrics,
    ...(env.METRICS_ENABLED && env.METRICS_TOKEN ? { metricsToken: env.METRICS_TOKEN } : {}),
    healthChecks,
    ...(overrides.healthTimeoutMs !== undefined ? { healthTimeoutMs: overrides.healthTimeoutMs } : {}),
    ...(monitorOn ? { monitor: { eventLog: store, portalId, snapshot: () => live.snapshot() } } : {}),
    ...(signIn ? { signIn } : {}),
    routers,
    production,
    ...(env.PUBLIC_BASE_URL ? { publicBaseUrl: env.PUBLIC_BASE_URL } : {}),
    trustProxyHops: env.TRUST_PROXY,
  });

  const writebacks = new Map<string, Writeback>();
  const crmOf = (p: string): Crm => (hubspot ? hubspot.crmFor(p) : localCrm!);
  // Every served portal gets its engine loop, its CRM writeback consumer and its HubSpot inbound loops.
  const servePortal = (p: string) => {
    engine!.addPortal(p);
    hubspotInbound?.addPortal(p);
    if (!writebacks.has(p)) {
      writebacks.set(
        p,
        startWriteback({
          eventLog: store,
          portalId: p,
          crm: crmOf(p),
          consumer: `${hostname()}-${process.pid}`,
          clock,
          logger,
          metrics,
          random,
          // HubSpot takes up to 100 calls per batch request.
          ...(hubspot ? { batchSize: 100 } : {}),
          ...overrides.writeback,
        }),
      );
    }
    logger.info({ portalId: p }, 'serving portal');
  };
  // Uninstalled: no new dial for it; outcomes already recorded stay in its stream (no token to write them now).
  const leavePortal = async (p: string) => {
    await engine!.removePortal(p);
    await hubspotInbound?.removePortal(p);
    const wb = writebacks.get(p);
    writebacks.delete(p);
    await wb?.stop();
    logger.info({ portalId: p }, 'portal uninstalled: no longer served');
  };
  const applyChange = async ({ added, removed }: PortalChange) => {
    if (closed) return;
    for (const p of added) servePortal(p);
    for (const p of removed) await leavePortal(p);
  };
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
    hubspot,
    get writeback() {
      return writebacks.get(portalId) ?? writebacks.values().next().value ?? null;
    },
    portals,
    writebacks,
    async start() {
      if (started) throw new Error('backend already started');
      started = true;
      info.start();
      engine!.start([]);
      if (hubspot && env.HUBSPOT_ACCESS_TOKEN) {
        // Static-token portal: make sure the properties exist (OAuth portals get them at install).
        hubspot.ensureInstalled(portalId).catch((err: unknown) => {
          logger.error({ err, portalId }, 'could not install the Autodial properties in HubSpot');
        });
      }
      await applyChange(await portals.refresh());
      portals.start(applyChange);
      onInstalled = () => {
        portals
          .refresh()
          .catch((err: unknown) => logger.error({ err }, 'could not read the installed portals'));
      };
      // Live calls across every process of the portal, from the store's account-level concurrency slots.
      // (summed over every served portal)
      liveCallsTimer = setInterval(() => {
        Promise.all(portals.portals().map((p) => store.liveCount(p, 'acct', clock.now())))
          .then((counts) => metrics.liveCalls.set(counts.reduce((a, b) => a + b, 0)))
          .catch(() => {});
      }, 5000);
      liveCallsTimer.unref();
    },
    listen(port, host) {
      return new Promise((resolve, reject) => {
        const s = createWebhookServer(app);
        s.once('error', reject);
        s.listen(port, host ?? listenHost(env), () => resolve((s.address() as AddressInfo).port));
        server = s;
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(liveCallsTimer);
      info.stop();
      portals.stop();
      await engine!.stop();
      // Calls already placed keep reporting until they end; their outcomes still reach the writeback.
      if (simulator) await withTimeout(simulator.whenIdle(), overrides.drainTimeoutMs ?? 5000);
      await Promise.all([...writebacks.values()].map((w) => w.stop()));
      await hubspotInbound?.stop();
      await live.stop();
      await app.closeMonitor();
      if (server) {
        const s = server;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      }
      await store.close();
      await hubspotParts?.close();
      await hubspot?.close();
      // close() lets Redis answer what it has; a Redis that is down gets a plain destroy.
      if (redis?.isReady) await redis.close().catch(() => redis?.destroy());
      else if (redis?.isOpen) redis.destroy();
    },
  };
  return backend;
}

/**
 * Webhook handling time per route template (`/twilio/twiml/:flow`), for the autodial_webhook_latency_seconds
 * histogram; paths no route matched (unsigned probes, typos) share the 'unmatched' label.
 */
function withLatency(router: RequestHandler, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = routeLabel(req);
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
