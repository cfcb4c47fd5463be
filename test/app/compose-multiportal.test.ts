/**
 * OAuth mode serves every portal that installed the app: the composition root starts an engine loop, a CRM
 * writeback consumer and the HubSpot inbound loops for each installed portal, picks up a portal installed while
 * it runs (through the real OAuth callback, HubSpot nock'd) and stops serving one that is uninstalled.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { DateTime } from 'luxon';
import nock from 'nock';
import request from 'supertest';
import { composeBackend } from '../../src/app/compose.js';
import type { Backend } from '../../src/app/compose.js';
import { loadEnv } from '../../src/config/env.js';
import { TokenCipher } from '../../src/crm/hubspot/token-crypto.js';
import { TokenVault } from '../../src/crm/hubspot/tokens.js';
import { requiredScopeList } from '../../src/crm/hubspot/scopes.js';
import { createLogger } from '../../src/observability/logger.js';
import { acceleratedClock } from '../../src/shared/clock.js';
import { HUBSPOT, deleteByPrefix, testRedis, uniquePrefix } from '../crm/hubspot/helpers.js';
import type { RedisClient } from '../../src/crm/hubspot/redis.js';
import { REDIS_URL } from '../engine/redis-helpers.js';

/** Monday 10:00 in New York: the calling window is open from the start. */
const START = DateTime.fromISO('2030-01-07T10:00:00', { zone: 'America/New_York' }).toMillis();
const prefix = uniquePrefix('multiportal');
const env = loadEnv({
  CRM: 'hubspot',
  HUBSPOT_CLIENT_ID: '0b2c7a1e-1111-4222-8333-944455556666',
  HUBSPOT_CLIENT_SECRET: 'y'.repeat(20),
  TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  PUBLIC_BASE_URL: 'https://dialer.example.com',
  REDIS_URL,
  REDIS_KEY_PREFIX: prefix,
});
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

let redis: RedisClient;
let backend: Backend;
let nextPhone = 100;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1/);
  redis = await testRedis();
  // two portals installed before the backend starts
  const vault = new TokenVault(redis, prefix, new TokenCipher(env.TOKEN_ENCRYPTION_KEY!));
  for (const portalId of ['7001', '7002']) {
    await vault.save(portalId, {
      accessToken: `acc-${portalId}`,
      refreshToken: `ref-${portalId}`,
      expiresAt: START + 365 * 86_400_000,
      scopes: requiredScopeList(),
    });
  }
  backend = await composeBackend(env, {
    clock: acceleratedClock(START, 100),
    logger: createLogger({ level: 'silent' }),
    zones: { candidateZones: async () => ['America/New_York'] },
    simulator: { seed: 7, mix: { human: 1, busy: 0, 'no-answer': 0, failed: 0, machine: 0, invalid: 0 } },
    writeback: { blockMs: 100 },
    // long on purpose: the install served by this process must not wait for a re-read
    portalRefreshMs: 600_000,
    // close waits for the simulated calls under way to end (their timers would outlive the test otherwise)
    drainTimeoutMs: 30_000,
  });
  await backend.start();
});

afterAll(async () => {
  await backend?.close();
  await deleteByPrefix(redis, prefix);
  await redis.quit();
  nock.cleanAll();
  nock.enableNetConnect();
});

/** A message campaign with fresh contacts, started in the portal. */
async function startCampaign(portalId: string, contacts = 2) {
  const { campaigns } = backend;
  const campaign = await campaigns.create(portalId, {
    name: `Reminders ${portalId}`,
    callerIds: ['+12125550100'],
    dialMode: { mode: 'message' },
    message: { say: 'Your appointment is tomorrow at nine.' },
    amd: { detection: 'off', onMachine: 'hangup' },
    pace: { callsPerSecond: 5, maxConcurrentCalls: 5 },
    retry: { strategy: 'intervals', delaysMinutes: [30], maxAttempts: 1, maxRetryDays: 1, minGapMinutes: 30 },
  });
  await enroll(portalId, campaign.campaignId, contacts);
  await campaigns.act(portalId, campaign.campaignId, 'start');
  return campaign.campaignId;
}

async function enroll(portalId: string, campaignId: string, contacts: number) {
  const rows = Array.from({ length: contacts }, () => {
    nextPhone += 1;
    return {
      contactId: `c-${nextPhone}`,
      phone: `+1212555${String(nextPhone).padStart(4, '0')}`,
      timeZone: 'America/New_York',
    };
  });
  await backend.campaigns.enroll(portalId, campaignId, rows);
}

/** The contacts of the portal's campaign that got an attempt (as the event log recorded them). */
async function dialedContacts(portalId: string, campaignId: string): Promise<Set<string>> {
  const dialed = new Set<string>();
  for (let after = '0'; ;) {
    const batch = await backend.store.tail(portalId, after, { count: 1000, blockMs: 0 });
    if (!batch.length) break;
    for (const e of batch) {
      if (e.type === 'attempt.started' && e.campaignId === campaignId) dialed.add(e.contactId);
    }
    after = batch[batch.length - 1]!.id;
  }
  return dialed;
}

async function untilDialed(portalId: string, campaignId: string, count: number): Promise<Set<string>> {
  let dialed = await dialedContacts(portalId, campaignId);
  for (let i = 0; i < 200 && dialed.size < count; i++) {
    await wait(50);
    dialed = await dialedContacts(portalId, campaignId);
  }
  return dialed;
}

describe('composeBackend in OAuth mode, many portals', () => {
  it('serves every installed portal: an engine loop, a writeback and dials in each', async () => {
    expect(backend.portals.portals()).toEqual(['7001', '7002']);
    expect(backend.engine.portals().sort()).toEqual(['7001', '7002']);
    expect([...backend.writebacks.keys()].sort()).toEqual(['7001', '7002']);
    const first = await startCampaign('7001');
    const second = await startCampaign('7002');
    expect((await untilDialed('7001', first, 2)).size).toBe(2);
    expect((await untilDialed('7002', second, 2)).size).toBe(2);
  });

  it('serves a portal installed at runtime, and stops serving it when it is uninstalled', async () => {
    const install = await request(backend.app).get('/oauth/hubspot/install').expect(302);
    const state = new URL(install.headers.location!).searchParams.get('state')!;
    nock(HUBSPOT)
      .post('/oauth/v1/token')
      .reply(200, {
        access_token: 'acc-7003',
        refresh_token: 'ref-7003',
        expires_in: 1800,
        token_type: 'bearer',
      })
      .get('/oauth/v1/access-tokens/acc-7003')
      .reply(200, {
        hub_id: 7003,
        user_id: 1,
        scopes: requiredScopeList(),
        token_type: 'access',
        app_id: 9,
        expires_in: 1800,
        token: 'acc-7003',
      });
    await request(backend.app).get('/oauth/hubspot/callback').query({ code: 'the-code', state }).expect(200);
    // the process that served the callback serves the portal at once (its re-read period is 10 minutes)
    for (let i = 0; i < 100 && !backend.engine.portals().includes('7003'); i++) await wait(20);
    expect(backend.engine.portals().sort()).toEqual(['7001', '7002', '7003']);
    expect(backend.writebacks.has('7003')).toBe(true);
    const campaign = await startCampaign('7003');
    expect((await untilDialed('7003', campaign, 2)).size).toBe(2);

    await backend.hubspot!.installer!.uninstall('7003');
    await backend.portals.refresh();
    expect(backend.portals.portals()).toEqual(['7001', '7002']);
    expect(backend.engine.portals().sort()).toEqual(['7001', '7002']);
    expect(backend.writebacks.has('7003')).toBe(false);
    // nothing dials for it any more, while the other portals still dial
    await enroll('7003', campaign, 2);
    const other = await startCampaign('7001', 1);
    expect((await untilDialed('7001', other, 1)).size).toBe(1);
    await wait(500);
    expect((await dialedContacts('7003', campaign)).size).toBe(2);
  });
});
