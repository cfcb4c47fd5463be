/** Wiring for the HubSpot inbound tests: real Redis (unique prefix), the real SDK behind nock, a manual clock. */
import https from 'node:https';
import { Client } from '@hubspot/api-client';
import { createClient } from 'redis';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../../../src/http/app.js';
import { createMetrics } from '../../../../src/observability/metrics.js';
import { v3Headers } from '../../../http/hubspot/signing.js';
import { CampaignService } from '../../../../src/engine/campaigns.js';
import { Engine } from '../../../../src/engine/dialer.js';
import { AccountSettingsSchema } from '../../../../src/domain/settings.js';
import { registryDialGuard, RegistryStore } from '../../../../src/crm/hubspot/inbound/dnc-registry.js';
import { createHubSpotInbound } from '../../../../src/http/hubspot/inbound.js';
import { createLogger } from '../../../../src/observability/logger.js';
import {
  ManualClock,
  MONDAY_2PM_NY,
  RecordingTelephony,
  generousLimits,
  nyZones,
} from '../../../engine/fixtures/harness.js';
import { REDIS_URL, redisStore, uniquePrefix } from '../../../engine/redis-helpers.js';

export const SECRET = 'test-client-secret-0123456789';
export const BASE = 'https://dialer.example.com';
export const P = '4242';

export const agent = new https.Agent({ keepAlive: true });
/** A real SDK client: the keep-alive agent is what lets nock see its requests. */
export const sdkClient = () => new Client({ accessToken: 'test-token', httpAgent: agent });

export async function inboundHarness(name: string) {
  const prefix = uniquePrefix(name);
  const { redis: ioredis, store, cleanup } = redisStore(prefix);
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();
  const clock = new ManualClock(MONDAY_2PM_NY);
  const account = AccountSettingsSchema.parse({});
  const registry = new RegistryStore(redis, prefix);
  const campaigns = new CampaignService({
    store,
    clock,
    zones: nyZones,
    random: () => 0,
    account: () => account,
    dialGuard: registryDialGuard(registry),
  });
  const telephony = new RecordingTelephony(clock);
  const engine = new Engine({
    store,
    telephony,
    clock,
    campaigns,
    zones: nyZones,
    random: () => 0,
    limits: generousLimits,
  });
  const logger = createLogger({ level: 'silent' });
  const inbound = createHubSpotInbound({
    store,
    campaigns,
    clock,
    logger,
    redis,
    keyPrefix: prefix,
    clients: async () => sdkClient(),
    clientSecret: SECRET,
    publicBaseUrl: BASE,
    account: () => account,
    defaultCallerIds: () => ['+12125550000'],
    consumer: 'test',
  });
  /** Every key of the prefix and every value, as text (for "nothing of the contact is left"). */
  async function dump(): Promise<string> {
    const out: string[] = [];
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) {
      for (const key of keys) {
        out.push(key);
        const type = await redis.type(key);
        if (type === 'string') out.push(String(await redis.get(key)));
        else if (type === 'hash') out.push(JSON.stringify(await redis.hGetAll(key)));
        else if (type === 'set') out.push(JSON.stringify(await redis.sMembers(key)));
        else if (type === 'zset') out.push(JSON.stringify(await redis.zRange(key, 0, -1)));
        else if (type === 'stream') out.push(JSON.stringify(await redis.xRange(key, '-', '+')));
        else if (type === 'list') out.push(JSON.stringify(await redis.lRange(key, 0, -1)));
      }
    }
    return out.join('\n');
  }
  return {
    prefix,
    store,
    ioredis,
    redis,
    clock,
    campaigns,
    engine,
    telephony,
    inbound,
    registry,
    logger,
    dump,
    async close() {
      await inbound.stop();
      await engine.stop();
      await cleanup();
      await redis.quit();
    },
  };
}
export type InboundHarness = Awaited<ReturnType<typeof inboundHarness>>;

/** A contact property change event as HubSpot sends it. */
export function propertyChange(
  contactId: string,
  propertyName: string,
  propertyValue: string,
  occurredAt: number,
  eventId = occurredAt,
) {
  return {
    eventId,
    subscriptionId: 11,
    portalId: Number(P),
    appId: 99,
    occurredAt,
    subscriptionType: 'contact.propertyChange',
    attemptNumber: 0,
    objectId: Number(contactId),
    propertyName,
    propertyValue,
    changeSource: 'CRM_UI',
  };
}

export function objectEvent(
  contactId: string,
  subscriptionType: string,
  occurredAt: number,
  eventId = occurredAt,
) {
  return {
    eventId,
    subscriptionId: 12,
    portalId: Number(P),
    appId: 99,
    occurredAt,
    subscriptionType,
    attemptNumber: 0,
    objectId: Number(contactId),
  };
}

/** The backend's HTTP app with the inbound router mounted as the composition root mounts it. */
export function inboundApp(h: InboundHarness) {
  return createApp({
    logger: h.logger,
    metrics: createMetrics(),
    routers: [{ path: h.inbound.path, router: h.inbound.router, body: 'none' }],
  });
}

/** POSTs a body signed with v3 the way HubSpot does. */
export function signedPost(app: Express, path: string, payload: unknown, timestamp?: number) {
  const body = JSON.stringify(payload);
  return request(app)
    .post(path)
    .set(
      v3Headers({
        secret: SECRET,
        method: 'POST',
        url: `${BASE}${path}`,
        body,
        ...(timestamp !== undefined ? { timestamp } : {}),
      }),
    )
    .set('content-type', 'application/json')
    .send(body);
}
