/**
 * The per-portal limiter shared through Redis, under a 429 storm of both kinds (TEN_SECONDLY_ROLLING and DAILY,
 * with and without Retry-After) from two "processes": every request eventually succeeds (nothing lost), no
 * rolling ten-second window ever holds more requests than the budget, and interactive requests overtake bulk.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { FakeHubSpotPortal } from '../../../src/crm/hubspot/fake-portal.js';
import { HubSpotGateway } from '../../../src/crm/hubspot/gateway.js';
import { PortalRateLimiter } from '../../../src/crm/hubspot/rate-limiter.js';
import type { RateLimitBudget } from '../../../src/crm/hubspot/rate-limiter.js';
import type { RedisClient } from '../../../src/crm/hubspot/redis.js';
import { StaticTokenSource } from '../../../src/crm/hubspot/tokens.js';
import { PORTAL, deleteByPrefix, testRedis, uniquePrefix, virtualClock } from './helpers.js';

let redisA: RedisClient;
let redisB: RedisClient;
const prefixes: string[] = [];
beforeAll(async () => {
  nock.disableNetConnect();
  redisA = await testRedis();
  redisB = await testRedis();
});
afterEach(() => nock.cleanAll());
afterAll(async () => {
  // nock patches Node's shared http module: give the network back to the next test file of this worker.
  nock.cleanAll();
  nock.enableNetConnect();
  for (const p of prefixes) await deleteByPrefix(redisA, p);
  await redisA.quit();
  await redisB.quit();
});

/** The most requests any rolling window of `windowMs` holds. */
function maxInWindow(times: number[], windowMs = 10_000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

function twoProcesses(budget: RateLimitBudget) {
  const prefix = uniquePrefix('rl');
  prefixes.push(prefix);
  const clock = virtualClock();
  const sent: number[] = [];
  const portal = new FakeHubSpotPortal({ onRequest: () => sent.push(clock.now()) }).start();
  portal.contacts.set('c1', { firstname: 'A' });
  const gateways = [redisA, redisB].map(
    (redis) =>
      new HubSpotGateway({
        tokens: new StaticTokenSource(PORTAL, 'pat'),
        limiter: new PortalRateLimiter({ redis, keyPrefix: prefix, clock, budget: () => budget }),
        clock,
      }),
  );
  return { clock, portal, gateways, sent };
}

const touch = (gateway: HubSpotGateway, priority: 'bulk' | 'interactive', n: number) =>
  gateway.call(PORTAL, priority, (c) =>
    c.crm.contacts.basicApi.update('c1', { properties: { autodial_last_outcome: `${priority}-${n}` } }),
  );

describe('PortalRateLimiter + HubSpotGateway', () => {
  it('survives a 429 storm of both kinds from two processes: nothing lost, never above the budget', async () => {
    const budget = { tenSecondBudget: 10, interactiveReserve: 3, dailyBudget: 100_000 };
    const { clock, portal, gateways, sent } = twoProcesses(budget);
    const started = clock.now();
    portal.rateLimitNext(4, 'TEN_SECONDLY_ROLLING');
    portal.rateLimitNext(1, 'DAILY', 30);
    portal.rateLimitNext(3, 'TEN_SECONDLY_ROLLING', 2);
    const work: Promise<unknown>[] = [];
    for (let n = 0; n < 60; n++) work.push(touch(gateways[n % 2]!, n % 6 === 0 ? 'interactive' : 'bulk', n));
    const results = await Promise.allSettled(work);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    // 60 operations, 8 of whose sends were refused: 68 requests, every operation done once.
    expect(sent).toHaveLength(68);
    expect(portal.count('PATCH', '/crm/v3/objects/contacts/c1')).toBe(68);
    expect(maxInWindow(sent)).toBeLessThanOrEqual(budget.tenSecondBudget);
    // The DAILY 429 asked for 30 s: the portal waited at least that long overall.
    expect(clock.now() - started).toBeGreaterThanOrEqual(30_000);
    expect(gateways[0]!.stats.rateLimited + gateways[1]!.stats.rateLimited).toBe(8);
  });

  it('keeps head-room for interactive requests: they overtake waiting bulk work', async () => {
    const budget = { tenSecondBudget: 5, interactiveReserve: 2, dailyBudget: 100_000 };
    const { gateways, sent } = twoProcesses(budget);
    const order: string[] = [];
    const work: Promise<unknown>[] = [];
    for (let n = 0; n < 12; n++)
      work.push(touch(gateways[0]!, 'bulk', n).then(() => order.push(`bulk-${n}`)));
    await new Promise((r) => setImmediate(r));
    for (let n = 0; n < 3; n++)
      work.push(touch(gateways[0]!, 'interactive', n).then(() => order.push(`interactive-${n}`)));
    await Promise.all(work);
    // All three interactive requests went out before the last bulk ones (bulk may use only 3 of every 5 slots).
    const lastInteractive = Math.max(...[0, 1, 2].map((n) => order.indexOf(`interactive-${n}`)));
    expect(lastInteractive).toBeLessThan(order.indexOf('bulk-11'));
    expect(lastInteractive).toBeLessThan(8);
    expect(maxInWindow(sent)).toBeLessThanOrEqual(5);
  });

  it('holds the daily budget: past it, work waits for the next day instead of failing', async () => {
    const budget = { tenSecondBudget: 100, interactiveReserve: 10, dailyBudget: 4 };
    const { clock, gateways, sent } = twoProcesses(budget);
    const day = (t: number) => new Date(t).toISOString().slice(0, 10);
    await Promise.all([0, 1, 2, 3, 4, 5].map((n) => touch(gateways[n % 2]!, 'bulk', n)));
    expect(sent).toHaveLength(6);
    const perDay = new Map<string, number>();
    for (const t of sent) perDay.set(day(t), (perDay.get(day(t)) ?? 0) + 1);
    expect(Math.max(...perDay.values())).toBeLessThanOrEqual(4);
    expect(day(clock.now())).not.toBe(day(sent[0]!));
  });
});
