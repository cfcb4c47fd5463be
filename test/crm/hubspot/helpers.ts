/** Shared set-up of the HubSpot adapter tests: a real Redis (node-redis) under a unique prefix, nock'd HubSpot. */
import { randomBytes } from 'node:crypto';
import nock from 'nock';
import { createClient } from 'redis';
import type { Clock } from '../../../src/shared/clock.js';
import { CallLogger } from '../../../src/crm/hubspot/call-log.js';
import { RedisCallLedger } from '../../../src/crm/hubspot/call-ledger.js';
import type { CallLedger } from '../../../src/crm/hubspot/call-ledger.js';
import { DispositionCache } from '../../../src/crm/hubspot/dispositions.js';
import { HubSpotGateway } from '../../../src/crm/hubspot/gateway.js';
import { PortalFactsStore } from '../../../src/crm/hubspot/properties.js';
import { PortalRateLimiter } from '../../../src/crm/hubspot/rate-limiter.js';
import type { RateLimitBudget } from '../../../src/crm/hubspot/rate-limiter.js';
import type { RedisClient } from '../../../src/crm/hubspot/redis.js';
import { StaticTokenSource } from '../../../src/crm/hubspot/tokens.js';
import { REDIS_URL } from '../../engine/redis-helpers.js';

export const HUBSPOT = 'https://api.hubapi.com';
export const PORTAL = '4242';

export const uniquePrefix = (name: string) => `test-hs-${name}-${randomBytes(4).toString('hex')}`;

export async function testRedis(): Promise<RedisClient> {
  const client = createClient({ url: REDIS_URL });
  client.on('error', () => {});
  await client.connect();
  return client;
}

export async function deleteByPrefix(redis: RedisClient, prefix: string): Promise<void> {
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) {
    if (keys.length) await redis.unlink(keys);
  }
}

/** A clock whose sleeps advance time at once (a 10 s limiter wait costs nothing). */
export function virtualClock(start = Date.UTC(2026, 11, 4, 15)): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => (now += ms),
    sleep: async (ms) => {
      now += Math.max(0, ms);
      await new Promise((r) => setImmediate(r));
    },
  };
}

export const DEFAULT_BUDGET: RateLimitBudget = {
  tenSecondBudget: 100,
  interactiveReserve: 20,
  dailyBudget: 250_000,
};

export function hubspotParts(
  redis: RedisClient,
  prefix: string,
  clock: Clock,
  options: { budget?: RateLimitBudget; ledger?: CallLedger; onGrant?: (at: number) => void } = {},
) {
  const limiter = new PortalRateLimiter({
    redis,
    keyPrefix: prefix,
    clock,
    budget: () => options.budget ?? DEFAULT_BUDGET,
    onGrant: (_p, _priority, at) => options.onGrant?.(at),
  });
  const gateway = new HubSpotGateway({
    tokens: new StaticTokenSource(PORTAL, 'pat-test-token'),
    limiter,
    clock,
  });
  const facts = new PortalFactsStore(redis, prefix);
  const ledger = options.ledger ?? new RedisCallLedger(redis, prefix);
  const dispositions = new DispositionCache({ gateway, redis, keyPrefix: prefix, clock });
  const calls = new CallLogger({ gateway, ledger, facts, dispositions, clock });
  return { limiter, gateway, facts, ledger, dispositions, calls };
}

export const PORTAL_DISPOSITIONS = [
  { id: 'f240bbac-87c9-4f6e-bf70-924b57d47db7', label: 'Connected' },
  { id: '73a0d17f-1163-4015-bdd5-ec830791da20', label: 'No answer' },
  { id: '9d9162e7-6cf3-4944-bf63-4dff82258764', label: 'Busy' },
  { id: 'b2cf5968-551e-4856-9783-52b3da59a7d0', label: 'Left voicemail' },
];

export function nockDispositions() {
  return nock(HUBSPOT).get('/calling/v1/dispositions').reply(200, PORTAL_DISPOSITIONS);
}
