/**
 * A chaos-run worker process: the real engine and the real CRM writeback over the run's own Redis, dialing
 * through the chaos carrier over HTTP and taking its status callbacks on POST /event (a 5xx makes the carrier
 * retry, as a webhook would). Spawned as `node --import tsx` so SIGKILL really kills it.
 * Env: REDIS_URL, KEY_PREFIX, PORTAL_ID, CARRIER_URL, WORKER_ID, CLOCK_OFFSET_MS (the true clock's offset from
 * real time), CLOCK_SKEW_MS (this worker's own error on top of it: the skewed-clock fault).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectRedis } from '../../engine/store/redis/connection.js';
import type { CallEvent } from '../../domain/call.js';
import { AccountSettingsSchema } from '../../domain/settings.js';
import { CampaignService } from '../../engine/campaigns.js';
import { DEFAULT_MAX_CLOCK_SKEW_MS } from '../../engine/clock-guard.js';
import { shiftedClock } from '../../shared/clock.js';
import { Engine } from '../../engine/dialer.js';
import { RedisStore } from '../../engine/store/redis-store.js';
import type { Crm } from '../../crm/crm.js';
import { startWriteback } from '../../crm/writeback.js';
import { createLogger } from '../../observability/logger.js';
import { createNumberZoneLookup } from '../../telephony/number-zones.js';
import {
  TelephonyError,
  type CallStatusSnapshot,
  type DialRequest,
  type Telephony,
} from '../../telephony/telephony.js';

const env = process.env;
const carrierUrl = env.CARRIER_URL!;
const workerId = env.WORKER_ID!;
const portalId = env.PORTAL_ID!;
const clock = shiftedClock(Number(env.CLOCK_OFFSET_MS ?? 0) + Number(env.CLOCK_SKEW_MS ?? 0));
const logger = createLogger({ level: 'error' });

async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${carrierUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`carrier ${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

const telephony: Telephony = {
  async dial(request: DialRequest) {
    const reply = await post<{ providerCallId?: string; refused?: string }>('/dial', {
      request,
      worker: workerId,
    });
    if (!reply.providerCallId) {
      throw new TelephonyError(`not sent: ${reply.refused}`, undefined, undefined, true, {
        maybeSent: false,
        notDialed: true,
      });
    }
    return { providerCallId: reply.providerCallId };
  },
  async hangup(providerCallId: string) {
    await post('/hangup', { providerCallId });
  },
  async fetchStatus(providerCallId: string) {
    return post<CallStatusSnapshot | null>('/status', { providerCallId });
  },
};

const crm: Crm = {
  listContacts: async () => ({ contacts: [] }),
  recordCall: (record) => post<{ id: string }>('/crm/record', record),
  updateCall: async () => {},
  setDoNotCall: async () => {},
  markWrongNumber: async () => {},
};

// The one place this process opens Redis (the store's constructor takes the client).
// Redis restarts are part of the run: the error listener stays quiet, the engine reports what fails.
const redis = await connectRedis({ url: env.REDIS_URL! }, () => {});
const store = new RedisStore({ redis, keyPrefix: env.KEY_PREFIX! });
const zones = createNumberZoneLookup();
const account = AccountSettingsSchema.parse({ defaultRegion: 'US' });
const campaigns = new CampaignService({ store, clock, zones, account: () => account });
const engine = new Engine({
  store,
  telephony,
  clock,
  campaigns,
  zones,
  onError: () => {},
  // the run's true time is Redis TIME shifted by the run's offset; the skewed worker must refuse to dial
  clockCheck: {
    maxSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS,
    shared: { serverTime: async () => (await store.serverTime()) + Number(env.CLOCK_OFFSET_MS ?? 0) },
  },
  timings: { claimLeaseMs: 5_000, callbackSilenceMs: 15_000 },
  limits: () => ({
    account: { callsPerSecond: 20, maxConcurrentCalls: 40 },
    callerId: { callsPerSecond: 20, maxConcurrentCalls: 40 },
  }),
});
const writeback = startWriteback({
  eventLog: store,
  portalId,
  crm,
  consumer: `chaos-${workerId}-${process.pid}`,
  clock,
  logger,
  blockMs: 500,
  claimIdleMs: 5_000,
  claimEveryMs: 2_000,
});

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CallEvent;
    engine.handleCallEvent(event).then(
      () => res.writeHead(204).end(),
      () => res.writeHead(503).end(), // the carrier retries
    );
  });
});
server.listen(0, '127.0.0.1', () => {
  engine.start([portalId]);
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});

process.on('SIGTERM', () => {
  server.close();
  void Promise.allSettled([engine.stop(), writeback.stop()]).finally(() => process.exit(0));
});
