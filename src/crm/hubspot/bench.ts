/**
 * The HubSpot section of `npm run bench`, against the nock'd fake portal (fake-portal.ts) through the real SDK,
 * the real limiter on the real Redis, the engine's real enrollment (CampaignService on the in-process store)
 * and the real writeback consumer:
 *  - a 10,000-contact list enrolled, then 10,000 outcomes written back, with a 100-per-10-s budget. The limiter
 *    runs on a VIRTUAL clock whose sleeps return at once and move time forward (an accelerated time source):
 *    at 100 requests per 10 s the ~350 requests would otherwise take about a minute of waiting. Every window
 *    and budget decision is still made by the Redis limiter against that clock; requests are timestamped on it.
 *  - writeback lag, unthrottled (budget 100,000 per 10 s) and on REAL time: 10,000 `attempt.finished` events
 *    appended at 500 per second; lag = engagement written (the batch request answered) - event appended.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import { realClock } from '../../shared/clock.js';
import { CampaignService } from '../../engine/campaigns.js';
import type { EngineEvent } from '../../engine/events.js';
import { MemoryStore } from '../../engine/store/memory-store.js';
import { CampaignSettingsSchema } from '../../domain/settings.js';
import type { CallRecord } from '../crm.js';
import { startWriteback } from '../writeback.js';
import { createLogger } from '../../observability/logger.js';
import { CallLogger } from './call-log.js';
import { RedisCallLedger } from './call-ledger.js';
import { DispositionCache } from './dispositions.js';
import { FakeHubSpotPortal } from './fake-portal.js';
import { HubSpotGateway } from './gateway.js';
import { HubSpotCrm } from './hubspot-crm.js';
import { ListEnrollment } from './list-enrollment.js';
import { PortalFactsStore } from './properties.js';
import { PortalRateLimiter } from './rate-limiter.js';
import type { RateLimitBudget } from './rate-limiter.js';
import { connectRedis } from './redis.js';
import type { RedisClient } from './redis.js';
import { StaticTokenSource } from './tokens.js';

const PORTAL = '777';
const CONTACTS = 10_000;
/** Monday 14:00 in New York: enrollment finds callable time at once. */
const START_AT = Date.UTC(2030, 0, 7, 19, 0, 0);
const logger = createLogger({ level: 'silent' });

function virtualClock(start: number): Clock {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += Math.max(0, ms);
      await new Promise((r) => setImmediate(r));
    },
  };
}

function maxInWindow(times: number[], windowMs = 10_000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function parts(redis: RedisClient, prefix: string, clock: Clock, budget: RateLimitBudget) {
  const limiter = new PortalRateLimiter({ redis, keyPrefix: prefix, clock, budget: () => budget });
  const gateway = new HubSpotGateway({ tokens: new StaticTokenSource(PORTAL, 'pat-bench'), limiter, clock });
  const facts = new PortalFactsStore(redis, prefix);
  const calls = new CallLogger({
    gateway,
    ledger: new RedisCallLedger(redis, prefix),
    facts,
    dispositions: new DispositionCache({ gateway, redis, keyPrefix: prefix, clock }),
    clock,
  });
  return { gateway, facts, calls, crm: new HubSpotCrm(PORTAL, gateway, calls, clock) };
}

function contactsList() {
  return Array.from({ length: CONTACTS }, (_, i) => ({
    id: String(100_000 + i),
    properties: {
      firstname: `F${i}`,
      lastname: 'Bench',
      phone: `+1212${String(5_000_000 + i).padStart(7, '0')}`,
      hs_timezone: 'america_slash_new_york',
    },
  }));
}

function finished(i: number, at: number): EngineEvent {
  return {
    type: 'attempt.finished',
    portalId: PORTAL,
    campaignId: 'bench',
    campaignName: 'Bench campaign',
    attemptId: `p${PORTAL}-bench-${i}`,
    contactId: String(100_000 + i),
    to: `+1212${String(5_000_000 + i).padStart(7, '0')}`,
    from: '+12125550000',
    startedAt: at - 30_000,
    durationSec: 25,
    disposition: i % 3 === 0 ? 'NO_ANSWER' : 'CONNECTED',
    outcomeLabel: i % 3 === 0 ? 'No answer' : 'Connected',
    nextState: 'reached',
    at,
  } as EngineEvent;
}

async function appendAll(store: MemoryStore, events: EngineEvent[]) {
  for (const e of events) await store.append(PORTAL, e);
}

async function until(condition: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('hubspot bench: writeback did not finish in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Enrollment and writeback under a 100-per-10-s budget, on virtual time. */
async function throttledRun(redis: RedisClient, budget: RateLimitBudget) {
  const prefix = `bench-hs-${randomBytes(4).toString('hex')}`;
  const clock = virtualClock(START_AT);
  const sentAt: number[] = [];
  const portal = new FakeHubSpotPortal({ onRequest: () => sentAt.push(clock.now()) }).start();
  portal.addList('bench-list', contactsList());
  const { facts, crm, gateway } = parts(redis, prefix, clock, budget);
  await facts.set(PORTAL, { uniqueAttemptId: true });
  const store = new MemoryStore(clock);
  const campaigns = new CampaignService({
    store,
    clock,
    zones: { candidateZones: async () => ['America/New_York'] },
  });
  await campaigns.create(
    PORTAL,
    CampaignSettingsSchema.parse({
      name: 'Bench campaign',
      callerIds: ['+12125550000'],
      dialMode: { mode: 'message' },
      message: { say: 'Bench' },
    }),
    'bench',
  );
  try {
    const enrollStart = portal.requests.length;
    const enrollment = await new ListEnrollment({ gateway, redis, keyPrefix: prefix, campaigns }).run({
      portalId: PORTAL,
      campaignId: 'bench',
      listId: 'bench-list',
    });
    const enrollRequests = portal.requests.length - enrollStart;

    const writeStart = portal.requests.length;
    await appendAll(
      store,
      Array.from({ length: CONTACTS }, (_, i) => finished(i, clock.now())),
    );
    const writeback = startWriteback({
      eventLog: store,
      portalId: PORTAL,
      crm,
      consumer: 'bench',
      clock,
      logger,
      batchSize: 100,
      blockMs: 50,
    });
    await until(() => writeback.stats.written >= CONTACTS, 600_000);
    await writeback.stop();
    const writeRequests = portal.requests.length - writeStart;
    if (portal.calls.size !== CONTACTS)
      throw new Error(`expected ${CONTACTS} engagements, got ${portal.calls.size}`);
    return {
      enrolled: enrollment.enrolled,
      enrollRequests,
      writeRequests,
      maxPer10s: maxInWindow(sentAt),
      virtualSeconds: (clock.now() - START_AT) / 1000,
    };
  } finally {
    portal.stop();
    await store.close();
    await deletePrefix(redis, prefix);
  }
}

/** Writeback lag on real time with a budget that never binds. */
async function lagRun(redis: RedisClient) {
  const prefix = `bench-hs-${randomBytes(4).toString('hex')}`;
  const portal = new FakeHubSpotPortal().start();
  portal.addList('unused', contactsList());
  const { facts, crm } = parts(redis, prefix, realClock, {
    tenSecondBudget: 100_000,
    interactiveReserve: 0,
    dailyBudget: 10_000_000,
  });
  await facts.set(PORTAL, { uniqueAttemptId: true });
  const appendedAt = new Map<string, number>();
  const lags: number[] = [];
  const timed = Object.assign(Object.create(crm) as HubSpotCrm, {
    recordCalls: async (records: CallRecord[]) => {
      const ids = await crm.recordCalls(records);
      const now = Date.now();
      for (const r of records) lags.push(now - appendedAt.get(r.attemptId)!);
      return ids;
    },
  });
  const store = new MemoryStore(realClock);
  const writeback = startWriteback({
    eventLog: store,
    portalId: PORTAL,
    crm: timed,
    consumer: 'bench-lag',
    clock: realClock,
    logger,
    batchSize: 100,
    blockMs: 100,
  });
  try {
    const perTick = 50; // 50 events every 100 ms = 500 outcomes per second
    for (let i = 0; i < CONTACTS; i += perTick) {
      const tick = Date.now();
      for (let j = i; j < Math.min(CONTACTS, i + perTick); j++) {
        const at = Date.now();
        appendedAt.set(`p${PORTAL}-bench-${j}`, at);
        await store.append(PORTAL, finished(j, at));
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tick))));
    }
    await until(() => writeback.stats.written >= CONTACTS, 120_000);
    return { p50: percentile(lags, 50), p99: percentile(lags, 99), max: Math.max(...lags) };
  } finally {
    await writeback.stop();
    portal.stop();
    await store.close();
    await deletePrefix(redis, prefix);
  }
}

async function deletePrefix(redis: RedisClient, prefix: string) {
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) {
    if (keys.length) await redis.unlink(keys);
  }
}

/** Runs the HubSpot section; returns the figures for bench-results.json. */
export async function hubspotBench(redisUrl: string): Promise<Record<string, number>> {
  const budget = { tenSecondBudget: 100, interactiveReserve: 20, dailyBudget: 1_000_000 };
  const redis = await connectRedis(redisUrl);
  try {
    console.log(
      'hubspot: 10,000-contact list enrolled + 10,000 outcomes written back (100 req / 10 s, virtual time) ...',
    );
    const throttled = await throttledRun(redis, budget);
    console.log('hubspot: writeback lag, unthrottled, 10,000 outcomes at 500/s (real time) ...');
    const lag = await lagRun(redis);
    return {
      hubspot_requests_per_1000_enrolled: (throttled.enrollRequests / throttled.enrolled) * 1000,
      hubspot_requests_per_1000_outcomes: (throttled.writeRequests / CONTACTS) * 1000,
      hubspot_max_requests_per_10s: throttled.maxPer10s,
      hubspot_budget_per_10s: budget.tenSecondBudget,
      hubspot_throttled_virtual_seconds: throttled.virtualSeconds,
      hubspot_writeback_lag_p50_ms: lag.p50,
      hubspot_writeback_lag_p99_ms: lag.p99,
      hubspot_writeback_lag_max_ms: lag.max,
    };
  } finally {
    await redis.quit();
  }
}
