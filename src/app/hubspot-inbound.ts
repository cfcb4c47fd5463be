/**
 * Composition of HubSpot's inbound side for CRM=hubspot: its node-redis connection, the registry guard the
 * campaign service needs, and the routers and loops built once the engine parts exist. Kept out of compose.ts
 * so that file only calls it.
 */
import { createClient } from 'redis';
import type { Env } from '../config/env.js';
import type { AccountSettings } from '../domain/settings.js';
import type { CampaignService, DialGuard } from '../engine/campaigns.js';
import type { Clock } from '../shared/clock.js';
import type { Store } from '../engine/store/store.js';
import type { Logger } from '../observability/logger.js';
import { createHubSpotClient } from '../crm/hubspot/client.js';
import { RegistryStore, registryDialGuard } from '../crm/hubspot/inbound/dnc-registry.js';
import type { HubSpotClientProvider, RedisConnection } from '../crm/hubspot/inbound/ports.js';
import { createHubSpotInbound } from '../http/hubspot/inbound.js';
import type { HubSpotInbound } from '../http/hubspot/inbound.js';

export interface HubSpotInboundParts {
  redis: RedisConnection;
  dialGuard: DialGuard;
  build(deps: {
    store: Store;
    campaigns: CampaignService;
    clock: Clock;
    logger: Logger;
    account: (portalId: string) => AccountSettings;
    consumer: string;
    clients?: HubSpotClientProvider;
  }): HubSpotInbound;
  close(): Promise<void>;
}

/** One static token for every portal (tests; the composition root passes per-portal clients from the adapter). */
export function staticTokenClients(accessToken: string): HubSpotClientProvider {
  const client = createHubSpotClient({ accessToken });
  return async () => client;
}

export async function prepareHubSpotInbound(env: Env, logger: Logger): Promise<HubSpotInboundParts> {
  if (!env.REDIS_URL || !env.PUBLIC_BASE_URL || !env.HUBSPOT_CLIENT_SECRET) {
    throw new Error(
      'CRM=hubspot needs REDIS_URL, PUBLIC_BASE_URL and HUBSPOT_CLIENT_SECRET (webhook and workflow signatures)',
    );
  }
  const redis = createClient({ url: env.REDIS_URL });
  redis.on('error', (err: unknown) => logger.error({ err }, 'redis (hubspot inbound) connection error'));
  await redis.connect();
  const registry = new RegistryStore(redis, env.REDIS_KEY_PREFIX);
  return {
    redis,
    dialGuard: registryDialGuard(registry),
    build: (deps) =>
      createHubSpotInbound({
        ...deps,
        redis,
        keyPrefix: env.REDIS_KEY_PREFIX,
        clients: deps.clients ?? staticTokenClients(env.HUBSPOT_ACCESS_TOKEN!),
        clientSecret: env.HUBSPOT_CLIENT_SECRET!,
        publicBaseUrl: env.PUBLIC_BASE_URL!,
        defaultCallerIds: () => env.HUBSPOT_WORKFLOW_CALLER_IDS,
      }),
    async close() {
      await redis.quit().catch(() => redis.destroy());
    },
  };
}
