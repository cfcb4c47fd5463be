/** The gateway's handling of answers about the request itself: 429 waits by policy, 401 refreshes once. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import nock from 'nock';
import { HubSpotGateway, rateLimitWaitMs } from '../../../src/crm/hubspot/gateway.js';
import { PortalRateLimiter } from '../../../src/crm/hubspot/rate-limiter.js';
import type { RedisClient } from '../../../src/crm/hubspot/redis.js';
import { TokenCipher } from '../../../src/crm/hubspot/token-crypto.js';
import { OAuthTokenManager, TokenVault } from '../../../src/crm/hubspot/tokens.js';
import {
  DEFAULT_BUDGET,
  HUBSPOT,
  PORTAL,
  deleteByPrefix,
  testRedis,
  uniquePrefix,
  virtualClock,
} from './helpers.js';

let redis: RedisClient;
const prefix = uniquePrefix('gw');
beforeAll(async () => {
  nock.disableNetConnect();
  redis = await testRedis();
});
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});
afterAll(async () => {
  // nock patches Node's shared http module: give the network back to the next test file of this worker.
  nock.cleanAll();
  nock.enableNetConnect();
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

describe('rateLimitWaitMs', () => {
  const err = (body: object, headers: Record<string, string> = {}) => ({ code: 429, body, headers });
  it('reads Retry-After first, then the policy', () => {
    expect(rateLimitWaitMs(err({ policyName: 'TEN_SECONDLY_ROLLING' }, { 'retry-after': '3' }))).toEqual({
      policy: 'TEN_SECONDLY_ROLLING',
      waitMs: 3000,
    });
    expect(rateLimitWaitMs(err({ policyName: 'TEN_SECONDLY_ROLLING' }))?.waitMs).toBe(10_000);
    expect(rateLimitWaitMs(err({ policyName: 'DAILY' }))?.waitMs).toBe(3_600_000);
    expect(rateLimitWaitMs(err({ policyName: 'DAILY' }, { 'Retry-After': '120' }))?.waitMs).toBe(120_000);
    expect(rateLimitWaitMs(JSON.stringify({}))).toBeUndefined();
    expect(rateLimitWaitMs({ code: 500, body: {} })).toBeUndefined();
  });
});

describe('HubSpotGateway with OAuth tokens', () => {
  it('on a 401 drops the token, refreshes once and sends the request again', async () => {
    const clock = virtualClock();
    const vault = new TokenVault(redis, prefix, new TokenCipher(randomBytes(32)));
    await vault.save(PORTAL, {
      accessToken: 'revoked',
      refreshToken: 'r1',
      expiresAt: clock.now() + 3_600_000,
      scopes: [],
    });
    const tokens = new OAuthTokenManager({
      redis,
      keyPrefix: prefix,
      vault,
      clientId: 'c',
      clientSecret: 's',
      clock,
    });
    const gateway = new HubSpotGateway({
      tokens,
      limiter: new PortalRateLimiter({ redis, keyPrefix: prefix, clock, budget: () => DEFAULT_BUDGET }),
      clock,
    });
    nock(HUBSPOT, { reqheaders: { authorization: 'Bearer revoked' } })
      .patch('/crm/v3/objects/contacts/1')
      .reply(401, { status: 'error', category: 'EXPIRED_AUTHENTICATION' });
    nock(HUBSPOT)
      .post('/oauth/v1/token')
      .reply(200, { access_token: 'fresh', refresh_token: 'r2', expires_in: 1800, token_type: 'bearer' });
    nock(HUBSPOT, { reqheaders: { authorization: 'Bearer fresh' } })
      .patch('/crm/v3/objects/contacts/1')
      .reply(200, {
        id: '1',
        properties: {},
        createdAt: '2026-01-01T00:00:00Z',
        updatedAt: '2026-01-01T00:00:00Z',
        archived: false,
      });
    await gateway.call(PORTAL, 'interactive', (c) =>
      c.crm.contacts.basicApi.update('1', { properties: { a: 'b' } }),
    );
    expect(tokens.refreshes).toBe(1);
    expect(gateway.stats.requests).toBe(2);
  });
});
