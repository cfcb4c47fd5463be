/**
 * Benchmark worker process: the real engine over Redis with a fake carrier that records each dial request
 * (carrier receive time, the pacer's grant time, the lead's due time) in a Redis list the benchmark reads.
 * Env: KEY_PREFIX, PORTAL_ID, START_AT, ANCHOR (shared clock offset), REDIS_URL.
 */
import { Redis } from 'ioredis';
import { CampaignService } from '../src/engine/campaigns.js';
import { offsetClock } from '../src/engine/clock.js';
import { Engine } from '../src/engine/dialer.js';
import { RedisStore } from '../src/engine/store/redis-store.js';
import type { DialRequest, Telephony } from '../src/telephony/telephony.js';

const env = process.env;
const prefix = env.KEY_PREFIX!;
const portalId = env.PORTAL_ID!;
const clock = offsetClock(Number(env.START_AT) + (Date.now() - Number(env.ANCHOR)));
const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const store = new RedisStore({ redis, keyPrefix: prefix });
const zones = { candidateZones: async () => ['America/New_York'] };

const telephony: Telephony = {
  async dial(request: DialRequest) {
    const at = clock.now();
    const attempt = await store.getAttempt(portalId, request.attemptId);
    await redis.rpush(
      `${prefix}:dials`,
      JSON.stringify({
        attemptId: request.attemptId,
        contactId: request.contactId,
        at,
        grantedAt: attempt?.claimedAt,
        dueAt: attempt?.dueAt,
      }),
    );
    return { providerCallId: `CA-${request.attemptId}` };
  },
  async hangup() {},
};

const engine = new Engine({
  store,
  telephony,
  clock,
  campaigns: new CampaignService({ store, clock, zones }),
  zones,
  limits: () => ({
    account: { callsPerSecond: 1000, maxConcurrentCalls: 10_000 },
    callerId: { callsPerSecond: 1000, maxConcurrentCalls: 10_000 },
  }),
});
engine.start([portalId]);
await redis.rpush(`${prefix}:ready`, String(process.pid));
process.on('SIGTERM', () => {
  void engine.stop().finally(() => process.exit(0));
});
