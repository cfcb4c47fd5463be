/**
 * "Not found" means not found: while Redis is unreachable every store read throws (so a webhook answers 5xx
 * and the carrier retries) instead of answering null / empty, which callers read as "no such lead / attempt".
 * Redis is made unreachable by cutting a TCP proxy between the store and it (other tests share that Redis).
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { RedisStore } from '../../src/engine/store/redis-store.js';
import { createRedisConnection } from '../../src/engine/store/redis/connection.js';
import type { RedisConnection } from '../../src/engine/store/redis/connection.js';
import { campaignRecord } from './store-contract.js';
import { CuttableProxy } from './fixtures/cuttable-proxy.js';
import { REDIS_URL, deleteByPrefix, uniquePrefix } from './redis-helpers.js';

const P = '91';
const T0 = Date.UTC(2030, 0, 7, 15, 0, 0);

describe('Redis store reads while Redis is unreachable', () => {
  const prefix = uniquePrefix('errors');
  const proxy = new CuttableProxy(new URL(REDIS_URL));
  let direct: RedisConnection;
  let viaProxy: RedisConnection;
  let store: RedisStore;
  let attemptId = '';

  beforeAll(async () => {
    await proxy.listen();
    direct = createRedisConnection({ url: REDIS_URL });
    await direct.connect();
    // fail-fast as in production (connectRedis): a command while disconnected throws at once
    viaProxy = createRedisConnection({ url: `redis://127.0.0.1:${proxy.port}` }, true);
    viaProxy.on('error', () => {}); // the outage is the point of the test
    await viaProxy.connect();
    store = new RedisStore({ redis: viaProxy, keyPrefix: prefix, onConnectionError: () => {} });
    await store.createCampaign(campaignRecord(P, 'c1'));
    await store.enroll(P, 'c1', [{ contactId: 'k1', e164: '+12125550101', dueAt: T0 }], [], T0);
    const lead = (await store.getLead(P, 'c1', 'k1'))!;
    const claim = await store.claim({
      portalId: P,
      campaignId: 'c1',
      contactId: 'k1',
      expectRev: lead.rev,
      attemptId: 'a1',
      from: '+15550001000',
      now: T0,
      leaseUntil: T0 + 60_000,
      maxLive: null,
      busyRetryMs: 1000,
      amd: false,
    });
    expect(claim.ok).toBe(true);
    attemptId = 'a1';
    await proxy.cut();
  });

  afterAll(async () => {
    await store.close();
    if (viaProxy.isOpen) viaProxy.destroy();
    await deleteByPrefix(direct, prefix);
    direct.destroy();
  });

  it('the data is there: read directly, the lead and the attempt exist', async () => {
    const direct2 = new RedisStore({ redis: direct, keyPrefix: prefix });
    expect(await direct2.getLead(P, 'c1', 'k1')).not.toBeNull();
    expect(await direct2.getAttempt(P, attemptId)).not.toBeNull();
    await direct2.close();
  });

  it('getLead, getAttempt, getCampaign, peekDue, leadStates and the events throw instead of answering empty', async () => {
    await expect(store.getLead(P, 'c1', 'k1')).rejects.toThrow();
    await expect(store.getAttempt(P, attemptId)).rejects.toThrow();
    await expect(store.getCampaign(P, 'c1')).rejects.toThrow();
    await expect(store.listCampaigns(P)).rejects.toThrow();
    await expect(store.peekDue(P, 'c1', T0, 10)).rejects.toThrow();
    await expect(store.leadStates(P, 'c1')).rejects.toThrow();
    await expect(store.expiredAttempts(P, T0 + 120_000, 10)).rejects.toThrow();
    await expect(store.tail(P, '0', { count: 10, blockMs: 0 })).rejects.toThrow();
  }, 30_000);

  it('a finish throws too (after its re-sends), rather than answering "missing"', async () => {
    await expect(
      store.finishAttempt({
        portalId: P,
        attemptId,
        now: T0 + 1000,
        lead: {
          state: 'reached',
          attempts: 1,
          firstAttemptAt: T0,
          recentAttemptTimes: [T0],
          consecutiveTechnicalErrors: 0,
        },
        nextAt: null,
        events: [],
        summary: 'test',
      }),
    ).rejects.toThrow();
  }, 30_000);
});
