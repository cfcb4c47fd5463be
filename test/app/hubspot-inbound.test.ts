/** The CRM=hubspot inbound composition: refused without what it needs; built, its webhook route answers. */
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { prepareHubSpotInbound } from '../../src/app/hubspot-inbound.js';
import { loadEnv } from '../../src/config/env.js';
import { AccountSettingsSchema } from '../../src/domain/settings.js';
import { CampaignService } from '../../src/engine/campaigns.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { ManualClock, MONDAY_2PM_NY, nyZones } from '../engine/fixtures/harness.js';
import { REDIS_URL, redisStore, uniquePrefix } from '../engine/redis-helpers.js';
import { v3Headers } from '../http/hubspot/signing.js';

const logger = createLogger({ level: 'silent' });
const hubspotEnv = {
  CRM: 'hubspot',
  HUBSPOT_ACCESS_TOKEN: 'x'.repeat(20),
  HUBSPOT_CLIENT_SECRET: 'y'.repeat(20),
  HUBSPOT_PORTAL_ID: '123',
};

describe('HubSpot inbound composition', () => {
  it('says which variables it needs', async () => {
    // the environment schema refuses it first, naming each variable
    expect(() => loadEnv(hubspotEnv)).toThrow(/REDIS_URL: required when CRM=hubspot/);
    expect(() => loadEnv(hubspotEnv)).toThrow(/PUBLIC_BASE_URL: required when CRM=hubspot/);
    // and the composition refuses a hand-made Env without them
    const env = { ...loadEnv({}), CRM: 'hubspot' as const, HUBSPOT_CLIENT_SECRET: 'y'.repeat(20) };
    await expect(prepareHubSpotInbound(env, logger)).rejects.toThrow(
      /REDIS_URL, PUBLIC_BASE_URL and HUBSPOT_CLIENT_SECRET/,
    );
  });

  it('builds the routers and the start guard against the real Redis', async () => {
    const prefix = uniquePrefix('hscompose');
    const env = loadEnv({
      ...hubspotEnv,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      PUBLIC_BASE_URL: 'https://dialer.example.com',
      HUBSPOT_WORKFLOW_CALLER_IDS: '+12125550000, +12125550001',
    });
    expect(env.HUBSPOT_WORKFLOW_CALLER_IDS).toEqual(['+12125550000', '+12125550001']);
    const { store, cleanup } = redisStore(prefix);
    const parts = await prepareHubSpotInbound(env, logger);
    const clock = new ManualClock(MONDAY_2PM_NY);
    const account = AccountSettingsSchema.parse({});
    try {
      const campaigns = new CampaignService({ store, clock, zones: nyZones, dialGuard: parts.dialGuard });
      const inbound = parts.build({ store, campaigns, clock, logger, account: () => account, consumer: 't' });
      const app = createApp({
        logger,
        metrics: createMetrics(),
        routers: [{ path: inbound.path, router: inbound.router, body: 'none' }],
      });
      const body = JSON.stringify([
        {
          eventId: 5,
          portalId: 1,
          objectId: 9,
          occurredAt: 1,
          subscriptionType: 'contact.deletion',
        },
      ]);
      const url = 'https://dialer.example.com/hubspot/webhooks';
      const res = await request(app)
        .post('/hubspot/webhooks')
        .set(v3Headers({ secret: 'y'.repeat(20), method: 'POST', url, body }))
        .set('content-type', 'application/json')
        .send(body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ applied: 1 });
    } finally {
      await parts.close();
      await cleanup();
    }
  });
});
