/**
 * Builds the HubSpot adapter from the environment (the composition root calls this for CRM=hubspot): the Redis
 * connection (node-redis), the token source (static private-app token for one portal, or OAuth tokens for many),
 * the shared per-portal limiter, the gateway, call logging and the OAuth install routes.
 */
import type { RequestHandler } from 'express';
import type { Env } from '../../config/env.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../observability/logger.js';
import { CallLogger } from './call-log.js';
import { RedisCallLedger } from './call-ledger.js';
import { DispositionCache } from './dispositions.js';
import { HubSpotGateway } from './gateway.js';
import { HubSpotCrmDirectory } from './hubspot-crm.js';
import type { HubSpotCrm } from './hubspot-crm.js';
import { ListEnrollment } from './list-enrollment.js';
import type { EnrollmentState, Enroller } from './list-enrollment.js';
import { HubSpotInstaller, createOAuthRouter } from './oauth.js';
import { PortalFactsStore, installProperties } from './properties.js';
import type { PortalFacts } from './properties.js';
import { PortalRateLimiter } from './rate-limiter.js';
import { connectRedis } from './redis.js';
import type { RedisClient } from './redis.js';
import { TokenCipher } from './token-crypto.js';
import { OAuthTokenManager, StaticTokenSource, TokenVault } from './tokens.js';
import type { AccessTokenSource } from './tokens.js';

export interface HubSpotAdapter {
  readonly redis: RedisClient;
  readonly gateway: HubSpotGateway;
  readonly limiter: PortalRateLimiter;
  readonly calls: CallLogger;
  readonly tokens: AccessTokenSource;
  /** Null in static-token mode. */
  readonly installer: HubSpotInstaller | null;
  /** Routers to mount (the OAuth install flow at /oauth/hubspot in OAuth mode). */
  readonly routers: { path: string; router: RequestHandler }[];
  /** The `Crm` port of one portal. */
  crmFor(portalId: string): HubSpotCrm;
  /** Streaming, resumable enrollment of a campaign from a HubSpot list into `campaigns` (the engine). */
  listEnrollment(campaigns: Enroller, onProgress?: (state: EnrollmentState) => void): ListEnrollment;
  /** Creates the properties if missing (idempotent) and learns the portal's facts. */
  ensureInstalled(portalId: string): Promise<PortalFacts>;
  /** The portals served: the static token's one, or every portal that installed the app (OAuth). */
  installedPortals(): Promise<string[]>;
  close(): Promise<void>;
}

export async function createHubSpotAdapter(
  env: Env,
  deps: {
    clock: Clock;
    logger: Logger;
    redis?: RedisClient;
    /** Told after an OAuth install stored its tokens (the composition root starts serving the portal at once). */
    onInstalled?: (portalId: string) => void;
  },
): Promise<HubSpotAdapter> {
  const { clock, logger } = deps;
  const keyPrefix = env.REDIS_KEY_PREFIX;
  const log = logger.child({ component: 'hubspot' });
  let lastError = 0;
  const redis =
    deps.redis ??
    (await connectRedis(env.REDIS_URL!, (err) => {
      if (Date.now() - lastError < 10_000) return;
      lastError = Date.now();
      log.error({ err }, 'redis connection error (hubspot adapter)');
    }));

  let tokens: AccessTokenSource;
  let installer: HubSpotInstaller | null = null;
  let vault: TokenVault | null = null;
  if (env.HUBSPOT_ACCESS_TOKEN) {
    tokens = new StaticTokenSource(env.HUBSPOT_PORTAL_ID, env.HUBSPOT_ACCESS_TOKEN);
  } else {
    vault = new TokenVault(redis, keyPrefix, new TokenCipher(env.TOKEN_ENCRYPTION_KEY!));
    tokens = new OAuthTokenManager({
      redis,
      keyPrefix,
      vault,
      clientId: env.HUBSPOT_CLIENT_ID!,
      clientSecret: env.HUBSPOT_CLIENT_SECRET!,
      clock,
    });
  }

  const limiter = new PortalRateLimiter({
    redis,
    keyPrefix,
    clock,
    budget: () => ({
      tenSecondBudget: env.HUBSPOT_TEN_SECOND_BUDGET,
      interactiveReserve: env.HUBSPOT_INTERACTIVE_RESERVE,
      dailyBudget: env.HUBSPOT_DAILY_BUDGET,
    }),
  });
  const gateway = new HubSpotGateway({
    tokens,
    limiter,
    clock,
    onRateLimited: (portalId, policy, waitMs) =>
      log.warn({ portalId, policy, waitMs }, 'HubSpot rate limit; every process of the portal waits'),
  });
  const facts = new PortalFactsStore(redis, keyPrefix);
  const dispositions = new DispositionCache({ gateway, redis, keyPrefix, clock });
  const calls = new CallLogger({
    gateway,
    ledger: new RedisCallLedger(redis, keyPrefix),
    facts,
    dispositions,
    clock,
  });
  const directory = new HubSpotCrmDirectory(gateway, calls, clock);
  const ensureInstalled = async (portalId: string) =>
    (await facts.get(portalId)) ?? installProperties(gateway, facts, portalId);

  const routers: { path: string; router: RequestHandler }[] = [];
  if (vault) {
    installer = new HubSpotInstaller({
      redis,
      keyPrefix,
      vault,
      clientId: env.HUBSPOT_CLIENT_ID!,
      clientSecret: env.HUBSPOT_CLIENT_SECRET!,
      publicBaseUrl: env.PUBLIC_BASE_URL!,
      clock,
      logger: log,
      afterInstall: async (portalId) => {
        try {
          await installProperties(gateway, facts, portalId);
        } finally {
          deps.onInstalled?.(portalId);
        }
      },
    });
    routers.push({ path: '/oauth/hubspot', router: createOAuthRouter(installer, log) });
  }

  return {
    redis,
    gateway,
    limiter,
    calls,
    tokens,
    installer,
    routers,
    crmFor: (portalId) => directory.crmFor(portalId),
    listEnrollment: (campaigns, onProgress) =>
      new ListEnrollment({ gateway, redis, keyPrefix, campaigns, ...(onProgress ? { onProgress } : {}) }),
    ensureInstalled,
    installedPortals: async () => (vault ? vault.portals() : [env.HUBSPOT_PORTAL_ID]),
    async close() {
      if (!deps.redis && redis.isOpen) await redis.quit().catch(() => redis.destroy());
    },
  };
}
