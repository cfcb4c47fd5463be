/**
 * Duplicate and out-of-order Twilio status callbacks, end to end: signed requests through the real webhook
 * router into the real Engine over Redis. Whatever order and however many copies arrive (some concurrently),
 * each attempt finishes exactly once, with the outcome of the call's true final status, and the event stream
 * holds exactly one `attempt.finished` per attempt.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import express from 'express';
import fc from 'fast-check';
import { createRedisConnection } from '../../src/engine/store/redis/connection.js';
import request from 'supertest';
import twilio from 'twilio';
import type { Disposition } from '../../src/domain/outcome.js';
import { seededRandom } from '../../src/domain/random.js';
import { CampaignService } from '../../src/engine/campaigns.js';
import { Engine } from '../../src/engine/dialer.js';
import type { LeadState } from '../../src/engine/events.js';
import { RedisStore } from '../../src/engine/store/redis-store.js';
import type { DialRequest, Telephony } from '../../src/telephony/telephony.js';
import { createTwilioWebhookRouter } from '../../src/telephony/twilio/webhooks.js';
import { ManualClock, generousLimits } from '../engine/fixtures/harness.js';
import { REDIS_URL, deleteByPrefix, uniquePrefix } from '../engine/redis-helpers.js';
import { MONDAY_2PM_NY, duplicates, isFinished, nyZones, quickRetryCampaign, waitUntil } from './fixtures.js';

const PORTAL = '5150';
const AUTH_TOKEN = 'resilience-auth-token-0123456789';
const BASE = 'https://dialer.example.com';

/** The carrier's side of one call: its true final status (and talk time when answered). */
type Fate =
  | { status: 'completed'; durationSec: number }
  | { status: 'busy' | 'no-answer' | 'canceled' }
  | { status: 'failed'; sipResponseCode: 503 };

/**
 * Independent oracle: what a reminder campaign (AMD off, first attempt, 3 attempts allowed) must record for each
 * true final status, from docs/retry-strategies.md. Talk times are at least 3 s, so no short-call rule applies.
 */
function expectedOutcome(fate: Fate): { disposition: Disposition; nextState: LeadState } {
  switch (fate.status) {
    case 'completed':
      return { disposition: 'LEFT_LIVE_MESSAGE', nextState: 'reached' };
    case 'busy':
      return { disposition: 'BUSY', nextState: 'retrying' };
    case 'no-answer':
    case 'canceled':
      return { disposition: 'NO_ANSWER', nextState: 'retrying' };
    case 'failed':
      return { disposition: 'FAILED', nextState: 'retrying' };
  }
}

/** Twilio's status callbacks for a call with this fate, in the order Twilio sends them. */
function callbacksOf(fate: Fate, callSid: string): Record<string, string>[] {
  const cb = (status: string, sequence: number, extra: Record<string, string> = {}) => ({
    CallSid: callSid,
    CallStatus: status,
    SequenceNumber: String(sequence),
    AccountSid: `AC${'a'.repeat(32)}`,
    ...extra,
  });
  switch (fate.status) {
    case 'completed':
      return [
        cb('initiated', 0),
        cb('ringing', 1),
        cb('in-progress', 2),
        cb('completed', 3, { CallDuration: String(fate.durationSec), SipResponseCode: '200' }),
      ];
    case 'failed':
      return [cb('initiated', 0), cb('failed', 1, { SipResponseCode: '503', CallDuration: '0' })];
    default:
      return [cb('initiated', 0), cb('ringing', 1), cb(fate.status, 2, { CallDuration: '0' })];
  }
}

const fateArb: fc.Arbitrary<Fate> = fc.oneof(
  fc.record({ status: fc.constant('completed' as const), durationSec: fc.integer({ min: 3, max: 900 }) }),
  fc.record({ status: fc.constantFrom('busy' as const, 'no-answer' as const, 'canceled' as const) }),
  fc.record({ status: fc.constant('failed' as const), sipResponseCode: fc.constant(503 as const) }),
);

/** Per call: its fate and how many copies of each callback arrive (intermediate ones may be lost, the final one never). */
const callArb = fateArb.chain((fate) => {
  const count = callbacksOf(fate, 'CA').length;
  return fc.record({
    fate: fc.constant(fate),
    copies: fc.tuple(
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: count - 1, maxLength: count - 1 }),
      fc.integer({ min: 1, max: 3 }),
    ),
  });
});

/** Every copy of every callback of the batch, shuffled together, then cut into groups delivered concurrently. */
const planArb = fc.array(callArb, { minLength: 2, maxLength: 5 }).chain((calls) => {
  const deliveries = calls.flatMap((call, index) => {
    const [intermediate, finalCopies] = call.copies;
    const perCallback = [...intermediate, finalCopies];
    return perCallback.flatMap((n, step) => Array.from({ length: n }, () => ({ call: index, step })));
  });
  return fc.record({
    calls: fc.constant(calls),
    order: fc.shuffledSubarray(deliveries, { minLength: deliveries.length, maxLength: deliveries.length }),
    groups: fc.array(fc.integer({ min: 1, max: 4 }), {
      minLength: deliveries.length,
      maxLength: deliveries.length,
    }),
  });
});

class SidCarrier implements Telephony {
  readonly dials: (DialRequest & { callSid: string })[] = [];
  async dial(request: DialRequest) {
    const callSid = `CA${(this.dials.length + 1).toString(16).padStart(32, '0')}`;
    this.dials.push({ ...request, callSid });
    return { providerCallId: callSid };
  }
  async hangup() {}
}

describe('duplicate and out-of-order status webhooks, end to end over Redis', () => {
  const prefix = uniquePrefix('webhook-replay');
  const redis = createRedisConnection({ url: REDIS_URL });
  const store = new RedisStore({ redis, keyPrefix: prefix });
  const clock = new ManualClock(MONDAY_2PM_NY);
  const campaigns = new CampaignService({ store, clock, zones: nyZones, random: seededRandom(11) });
  const carrier = new SidCarrier();
  const engineErrors: unknown[] = [];
  const engine = new Engine({
    limits: generousLimits,
    store,
    telephony: carrier,
    clock,
    campaigns,
    zones: nyZones,
    random: seededRandom(12),
    onError: (e) => engineErrors.push(e),
  });
  const app = express();
  app.use(
    '/twilio',
    createTwilioWebhookRouter({
      authToken: AUTH_TOKEN,
      publicBaseUrl: BASE,
      sink: engine,
      flows: { twimlFor: () => '<Response/>' },
      now: () => clock.now(),
    }),
  );

  const post = (attemptId: string, params: Record<string, string>) => {
    const path = `/twilio/status?attemptId=${encodeURIComponent(attemptId)}`;
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, BASE + path, params);
    return request(app).post(path).type('form').set('X-Twilio-Signature', signature).send(params);
  };

  beforeAll(async () => {
    await redis.connect();
  });

  afterAll(async () => {
    await deleteByPrefix(redis, prefix);
    await store.close();
    redis.destroy();
  });

  let run = 0;

  /** A fresh campaign of `count` contacts, all dialed: returns each call's attempt and call SID, in dial order. */
  async function dialBatch(count: number) {
    run++;
    const campaignId = `replay${run}`;
    await campaigns.create(PORTAL, quickRetryCampaign(`Replay ${run}`), campaignId);
    const rows = Array.from({ length: count }, (_, i) => ({
      contactId: `${campaignId}-c${i}`,
      phone: `+1212555${String(2000 + run * 10 + i).padStart(4, '0')}`,
      timeZone: 'America/New_York',
    }));
    expect((await campaigns.enroll(PORTAL, campaignId, rows)).enrolled).toBe(count);
    await campaigns.act(PORTAL, campaignId, 'start');
    const mine = () => carrier.dials.filter((d) => d.campaignId === campaignId);
    await waitUntil(
      async () => {
        await engine.pass(PORTAL);
        clock.advance(100); // the next pacer slot
        return mine().length === count;
      },
      `all ${count} contacts of ${campaignId} to be dialed`,
      { everyMs: 5, maxPolls: 400 },
    );
    // placeCall runs in the background: wait until every attempt has left "dial-requested".
    await waitUntil(
      async () => {
        for (const d of mine()) {
          if ((await store.getAttempt(PORTAL, d.attemptId))?.state !== 'dialed') return false;
        }
        return true;
      },
      'every dial to be recorded',
      { everyMs: 5, maxPolls: 400 },
    );
    return { campaignId, calls: mine() };
  }

  it('each attempt finishes exactly once, with the outcome of its true final status', async () => {
    await fc.assert(
      fc.asyncProperty(planArb, async (plan) => {
        const { campaignId, calls } = await dialBatch(plan.calls.length);
        const callbacks = plan.calls.map((call, i) => callbacksOf(call.fate, calls[i]!.callSid));

        let next = 0;
        for (const size of plan.groups) {
          if (next >= plan.order.length) break;
          const group = plan.order.slice(next, next + size);
          next += size;
          const replies = await Promise.all(
            group.map(({ call, step }) => post(calls[call]!.attemptId, callbacks[call]![step]!)),
          );
          for (const reply of replies) expect(reply.status).toBe(204);
        }

        const stream = await store.tail(PORTAL, '0', { count: 1_000_000, blockMs: 0 });
        const finished = stream.filter(isFinished).filter((e) => e.campaignId === campaignId);
        expect(duplicates(finished.map((e) => e.attemptId))).toEqual([]);
        expect(finished).toHaveLength(calls.length);
        for (let i = 0; i < calls.length; i++) {
          const fate = plan.calls[i]!.fate;
          const { attemptId, contactId } = calls[i]!;
          const event = finished.find((e) => e.attemptId === attemptId);
          expect(event).toMatchObject({
            contactId,
            ...expectedOutcome(fate),
            durationSec: fate.status === 'completed' ? fate.durationSec : 0,
            providerCallId: calls[i]!.callSid,
          });
          const attempt = await store.getAttempt(PORTAL, attemptId);
          expect(attempt?.state).toBe('finished');
          expect(JSON.parse(attempt!.progress!)).toMatchObject({ status: fate.status });
          const lead = await store.getLead(PORTAL, campaignId, contactId);
          expect(lead?.progress).toMatchObject({
            state: expectedOutcome(fate).nextState,
            attempts: 1,
            attemptId,
          });
        }
        // Retries of this batch must not be dialed while later batches run.
        await campaigns.act(PORTAL, campaignId, 'pause');
      }),
      { numRuns: 15 },
    );
    expect(engineErrors).toEqual([]);
  });
});
