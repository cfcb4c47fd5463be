/**
 * Benchmark worker process: the real engine over Redis with a fake carrier that records each dial request
 * (carrier receive time, the pacer's grant time, the lead's due time) in a Redis list the benchmark reads.
 * The carrier notes the receive time at once and ships the records in small batches, so the recording costs
 * the engine under test little.
 * Env: KEY_PREFIX, PORTAL_ID, START_AT, ANCHOR (shared clock offset), REDIS_URL, ACCOUNT_CPS (account and
 * caller-ID rate limit, default 1000).
 */
import { PortalKeys } from '../src/engine/store/keys.js';
import { CampaignService } from '../src/engine/campaigns.js';
import { shiftedClock } from '../src/shared/clock.js';
import { Engine } from '../src/engine/dialer.js';
import { RedisStore } from '../src/engine/store/redis-store.js';
import { connectRedis } from '../src/engine/store/redis/connection.js';
import type { DialRequest, Telephony } from '../src/telephony/telephony.js';

const env = process.env;
const prefix = env.KEY_PREFIX!;
const portalId = env.PORTAL_ID!;
const clock = shiftedClock(Number(env.START_AT) - Number(env.ANCHOR));
// REDIS_CLUSTER_NODES (comma-separated seed nodes) runs the worker on a Redis Cluster instead
const target = env.REDIS_CLUSTER_NODES
  ? { clusterNodes: env.REDIS_CLUSTER_NODES.split(',') }
  : { url: env.REDIS_URL ?? 'redis://127.0.0.1:6379' };
const redis = await connectRedis(target, (message, error) => console.error(`${message}: ${error.message}`));
const store = new RedisStore({ redis, keyPrefix: prefix });
const zones = { candidateZones: async () => ['America/New_York'] };

const keys = new PortalKeys(prefix, portalId);
let pending: { attemptId: string; contactId: string; at: number }[] = [];
let flushing: Promise<void> | null = null;

async function flush() {
  while (pending.length) {
    const batch = pending;
    pending = [];
    const replies = await Promise.all(
      batch.map((d) => redis.hmGet(keys.attempt(d.attemptId), ['cl', 'due'])),
    );
    const records = batch.map((d, i) => {
      const [cl, due] = replies[i]!;
      return JSON.stringify({ ...d, grantedAt: Number(cl), dueAt: Number(due) });
    });
    await redis.rPush(`${prefix}:dials`, records);
  }
  flushing = null;
}

const telephony: Telephony = {
  async dial(request: DialRequest) {
    pending.push({ attemptId: request.attemptId, contactId: request.contactId, at: clock.now() });
    flushing ??= new Promise<void>((r) => setTimeout(r, 2)).then(flush);
    return { providerCallId: `CA-${request.attemptId}` };
  },
  async hangup() {},
};

const accountCps = Number(env.ACCOUNT_CPS ?? 1000);
const engine = new Engine({
  store,
  telephony,
  clock,
  campaigns: new CampaignService({ store, clock, zones }),
  zones,
  limits: () => ({
    account: { callsPerSecond: accountCps, maxConcurrentCalls: 10_000 },
    callerId: { callsPerSecond: accountCps, maxConcurrentCalls: 10_000 },
  }),
});
engine.start([portalId]);
await redis.rPush(`${prefix}:ready`, String(process.pid));
process.on('SIGTERM', () => {
  void engine
    .stop()
    .then(() => flushing)
    .finally(() => process.exit(0));
});
