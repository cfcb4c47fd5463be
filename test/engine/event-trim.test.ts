/**
 * Trimming the event stream never loses an entry a consumer group still needs: with the CRM down for more than
 * maxEvents events, every finished attempt is still delivered once it is back. Both stores.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Clock } from '../../src/shared/clock.js';
import type { EngineEvent, EventLog, StoredEvent } from '../../src/engine/events.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import { RedisStore } from '../../src/engine/store/redis-store.js';
import { REDIS_URL, deleteByPrefix, uniquePrefix } from './redis-helpers.js';
import { createRedisConnection } from '../../src/engine/store/redis/connection.js';

const MAX_EVENTS = 50;
const PORTAL = '77';

function clock(): Clock {
  let now = 2_000_000_000_000;
  return { now: () => now++, sleep: async () => {} };
}

const finished = (n: number): EngineEvent => ({
  type: 'attempt.finished',
  portalId: PORTAL,
  campaignId: 'c',
  attemptId: `a${n}`,
  contactId: `k${n}`,
  to: '+12125551000',
  from: '+12125552000',
  startedAt: 1,
  durationSec: 3,
  disposition: 'CONNECTED',
  outcomeLabel: 'Connected',
  nextState: 'reached',
  at: n,
});

interface Harness {
  log: EventLog;
  length(): Promise<number>;
  /** What the store's periodic trim does between appends (the reaper's pass in the Redis store). */
  tick(): Promise<void>;
  lost(): number;
  cleanup(): Promise<void>;
}

const harnesses: Harness[] = [];
afterAll(async () => {
  for (const h of harnesses) await h.cleanup();
});

function memoryHarness(): Harness {
  const store = new MemoryStore(clock(), { maxEvents: MAX_EVENTS });
  const h: Harness = {
    log: store,
    length: async () => (await store.tail(PORTAL, '0', { count: 1_000_000, blockMs: 0 })).length,
    tick: async () => {},
    lost: () => store.lostEvents,
    cleanup: async () => store.close(),
  };
  harnesses.push(h);
  return h;
}

function redisHarness(): Harness {
  const prefix = uniquePrefix('trim');
  const redis = createRedisConnection({ url: REDIS_URL });
  const connected = redis.connect();
  const store = new RedisStore({ redis, keyPrefix: prefix, maxEvents: MAX_EVENTS });
  const h: Harness = {
    log: store,
    length: async () => (await store.tail(PORTAL, '0', { count: 1_000_000, blockMs: 0 })).length,
    tick: async () => void (await store.expiredAttempts(PORTAL, 0, 1)),
    lost: () => store.lostEvents,
    cleanup: async () => {
      await connected;
      await deleteByPrefix(redis, prefix);
      await store.close();
      redis.destroy();
    },
  };
  harnesses.push(h);
  return h;
}

async function drain(log: EventLog, group: string, consumer: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (;;) {
    const batch = await log.readGroup(PORTAL, group, consumer, { count: 100, blockMs: 0 });
    if (!batch.length) return out;
    out.push(...batch);
  }
}

describe.each([
  ['memory', memoryHarness],
  ['redis', redisHarness],
])('event stream trimming (%s store)', (_name, make) => {
  it('keeps every unacked or undelivered entry of a group while the CRM is down, then trims', async () => {
    const h = make();
    const { log } = h;
    await log.ensureGroup(PORTAL, 'crm-writeback');
    await log.ensureGroup(PORTAL, 'monitor');
    const total = MAX_EVENTS * 6;
    // The CRM is down: the writeback reads half the events and acks none; the rest are never delivered.
    // Another group (the monitor) acks everything as it goes, which is what drives the trim.
    for (let i = 0; i < total; i++) {
      await log.append(PORTAL, finished(i));
      const seen = await drain(log, 'monitor', 'm');
      await log.ack(
        PORTAL,
        'monitor',
        seen.map((e) => e.id),
      );
      if (i === total / 2) await drain(log, 'crm-writeback', 'w1');
      await h.tick();
    }
    expect(await h.length()).toBe(total);

    // The CRM is back (and the first consumer died): its pending entries are reclaimed, the rest read.
    const reclaimed = await log.claimStale(PORTAL, 'crm-writeback', 'w2', { minIdleMs: 0, count: total });
    const fresh = await drain(log, 'crm-writeback', 'w2');
    const delivered = [...reclaimed, ...fresh].map((e) => (e as { attemptId: string }).attemptId);
    expect(new Set(delivered)).toEqual(new Set(Array.from({ length: total }, (_, i) => `a${i}`)));
    expect(h.lost()).toBe(0);

    // Once everything is acked the stream shrinks again (approximately, like XTRIM ~), keeping recent history.
    await log.ack(
      PORTAL,
      'crm-writeback',
      [...reclaimed, ...fresh].map((e) => e.id),
    );
    await log.append(PORTAL, finished(total));
    await log.ack(
      PORTAL,
      'monitor',
      (await drain(log, 'monitor', 'm')).map((e) => e.id),
    );
    await h.tick();
    const after = await h.length();
    expect(after).toBeLessThan(total);
    expect(after).toBeGreaterThanOrEqual(1);
  });

  it('caps a stream that has no consumer group at about maxEvents', async () => {
    const h = make();
    const total = MAX_EVENTS * 6;
    for (let i = 0; i < total; i++) {
      await h.log.append(PORTAL, finished(i));
      await h.tick();
    }
    const length = await h.length();
    expect(length).toBeGreaterThanOrEqual(MAX_EVENTS);
    expect(length).toBeLessThan(total);
  });
});
