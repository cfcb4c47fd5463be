import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import nock from 'nock';
import twilio from 'twilio';
import { TelephonyError } from '../../../src/telephony/telephony.js';
import type { DialRequest } from '../../../src/telephony/telephony.js';
import { classifyTwilioError, withTwilioRetry } from '../../../src/telephony/twilio/errors.js';
import { TwilioTelephony, createTwilioClient } from '../../../src/telephony/twilio/twilio-telephony.js';
import type { TelephonyWarning } from '../../../src/telephony/twilio/twilio-telephony.js';

const accountSid = `AC${'a'.repeat(32)}`;
const api = 'https://api.twilio.com';
const callsPath = `/2010-04-01/Accounts/${accountSid}/Calls.json`;
const callPath = (sid: string) => `/2010-04-01/Accounts/${accountSid}/Calls/${sid}.json`;
const callSid = `CA${'1'.repeat(32)}`;
const T0 = 1_700_000_000_000;

/** A hand-driven clock: `sleep` moves time forward instead of waiting. */
function fakeClock(start = T0) {
  const clock = {
    t: start,
    sleeps: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.t += ms;
    },
  };
  return clock;
}

function request(overrides: Partial<DialRequest> = {}): DialRequest {
  return {
    attemptId: 'att-1',
    portalId: '42',
    campaignId: 'camp-1',
    contactId: 'c-1',
    to: '+15552220000',
    from: '+15559990000',
    flow: { kind: 'connect', targets: ['+15551110001'] },
    amd: { detection: 'off', onMachine: 'hangup' },
    ringTimeoutSec: 25,
    record: false,
    ...overrides,
  };
}

function adapter(
  clock: ReturnType<typeof fakeClock>,
  extra: { onWarning?: (w: TelephonyWarning) => void; checkStuckQueued?: boolean } = {},
) {
  return new TwilioTelephony({
    client: createTwilioClient(accountSid, 'test-token'),
    publicBaseUrl: 'https://dialer.example.com',
    retry: { sleep: clock.sleep, random: () => 0.5 },
    now: clock.now,
    sleep: clock.sleep,
    ...extra,
  });
}

/** Counts create requests; `replies` are answered in order. */
function creates(replies: ([number, object] | { error: string })[]) {
  const seen = { count: 0 };
  for (const reply of replies) {
    const interceptor = nock(api).post(callsPath, () => (seen.count++, true));
    if (Array.isArray(reply)) interceptor.reply(reply[0], reply[1]);
    else interceptor.replyWithError({ code: reply.error, message: reply.error });
  }
  return seen;
}

const tooMany = [429, { code: 20429, message: 'Too Many Requests', status: 429 }] as [number, object];
const unavailable = [503, { code: 20503, message: 'Service Unavailable', status: 503 }] as [number, object];
const accepted = [201, { sid: callSid, status: 'queued' }] as [number, object];

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

describe('one retry layer', () => {
  it("the client we build leaves the SDK's own 429 retry off", () => {
    expect(createTwilioClient(accountSid, 'test-token').autoRetry).toBe(false);
  });

  it('refuses a client that retries by itself (two layers would multiply the tries)', () => {
    const client = twilio(accountSid, 'test-token', { autoRetry: true });
    expect(() => new TwilioTelephony({ client, publicBaseUrl: 'https://dialer.example.com' })).toThrow(
      /only retry layer/,
    );
  });

  it('a 429 that never clears is tried exactly maxAttempts times, then reported as not sent', async () => {
    const clock = fakeClock();
    const seen = creates([tooMany, tooMany, tooMany, tooMany]);
    const err = await adapter(clock)
      .dial(request())
      .catch((e: unknown) => e);
    expect(seen.count).toBe(4);
    expect(err).toBeInstanceOf(TelephonyError);
    expect(err).toMatchObject({ httpStatus: 429, retryable: true, maybeSent: false, notDialed: false });
  });
});

describe('DialRequest.notAfter', () => {
  it('past the deadline nothing is sent and the dial is "not dialed"', async () => {
    const clock = fakeClock();
    const scope = nock(api).post(callsPath).reply(201, { sid: callSid, status: 'queued' });
    const err = await adapter(clock)
      .dial(request({ notAfter: T0 - 1 }))
      .catch((e: unknown) => e);
    expect(scope.isDone()).toBe(false);
    nock.cleanAll();
    expect(err).toMatchObject({ notDialed: true, maybeSent: false, retryable: true });
  });

  it('a retry that would start after the deadline is not made (and not waited for)', async () => {
    const clock = fakeClock();
    const seen = creates([unavailable]);
    // The first backoff is 200 ms × 0.5 = 100 ms; the deadline is 50 ms away.
    const err = await adapter(clock)
      .dial(request({ notAfter: T0 + 50 }))
      .catch((e: unknown) => e);
    expect(seen.count).toBe(1);
    expect(clock.sleeps).toEqual([]);
    expect(err).toMatchObject({ notDialed: true, maybeSent: false, httpStatus: 503 });
    expect((err as Error).message).toMatch(/deadline.*Service Unavailable/);
  });

  it('a retry within the deadline goes through', async () => {
    const clock = fakeClock();
    const seen = creates([unavailable, accepted]);
    await expect(adapter(clock).dial(request({ notAfter: T0 + 1000 }))).resolves.toEqual({
      providerCallId: callSid,
    });
    expect(seen.count).toBe(2);
  });

  it('a failure that may have reached Twilio is never "not dialed", even at the deadline', async () => {
    const clock = fakeClock();
    const seen = creates([{ error: 'ECONNRESET' }]);
    const err = await adapter(clock)
      .dial(request({ notAfter: T0 + 10 }))
      .catch((e: unknown) => e);
    expect(seen.count).toBe(1);
    expect(err).toMatchObject({ maybeSent: true, notDialed: false });
  });

  it('after a not-dialed rejection the same attemptId can be dialed again', async () => {
    const clock = fakeClock();
    creates([accepted]);
    const tel = adapter(clock);
    await expect(tel.dial(request({ notAfter: T0 - 1 }))).rejects.toMatchObject({ notDialed: true });
    await expect(tel.dial(request({ notAfter: T0 + 1 }))).resolves.toEqual({ providerCallId: callSid });
  });

  type Outcome = 'ok' | 'refused' | 'throttled' | 'unavailable' | 'reset' | 'invalid';
  const failure = (o: Exclude<Outcome, 'ok'>): TelephonyError => {
    switch (o) {
      case 'refused':
        return new TelephonyError('ECONNREFUSED', undefined, undefined, true);
      case 'throttled':
        return new TelephonyError('429', 20429, 429, true);
      case 'unavailable':
        return new TelephonyError('503', 20503, 503, true);
      case 'reset':
        return new TelephonyError('ECONNRESET', undefined, undefined, true, { maybeSent: true });
      case 'invalid':
        return new TelephonyError('21211', 21211, 400, false);
    }
  };

  it('property: no create starts after notAfter, a maybe-sent failure is never repeated, and "not dialed" means no try may have reached Twilio', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Outcome>('ok', 'refused', 'throttled', 'unavailable', 'reset', 'invalid'), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: -500, max: 10_000 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.integer({ min: 1, max: 6 }),
        async (outcomes, deadlineIn, jitter, maxAttempts) => {
          const clock = fakeClock();
          const notAfter = T0 + deadlineIn;
          const sentAt: number[] = [];
          const sentOutcomes: Outcome[] = [];
          const operation = async () => {
            const outcome = outcomes[Math.min(sentAt.length, outcomes.length - 1)]!;
            sentAt.push(clock.now());
            sentOutcomes.push(outcome);
            if (outcome === 'ok') return 'placed';
            throw failure(outcome);
          };
          const result = await withTwilioRetry(
            operation,
            false,
            { maxAttempts, sleep: clock.sleep, random: () => jitter },
            { notAfter, now: clock.now },
          ).catch((e: unknown) => e);
          expect(sentAt.every((t) => t <= notAfter)).toBe(true);
          expect(sentAt.length).toBeLessThanOrEqual(maxAttempts);
          // A maybe-sent or non-retryable failure is the last try.
          const stopIdx = sentOutcomes.findIndex((o) => o === 'reset' || o === 'invalid' || o === 'ok');
          if (stopIdx >= 0) expect(sentAt.length).toBe(stopIdx + 1);
          if (result === 'placed') expect(sentOutcomes.at(-1)).toBe('ok');
          else {
            expect(result).toBeInstanceOf(TelephonyError);
            const error = result as TelephonyError;
            if (error.notDialed) {
              expect(sentOutcomes.some((o) => o === 'reset' || o === 'ok')).toBe(false);
              expect(error.maybeSent).toBe(false);
            }
            if (sentOutcomes.includes('reset')) expect(error.maybeSent).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('maybeSent: whether a failed request may have reached Twilio', () => {
  const rest = (statusCode: number, code: number) =>
    new twilio.RestException({ statusCode, body: { code, message: `HTTP ${statusCode}` } });

  it.each([
    ['400 validation error', false, false, rest(400, 21211)],
    ['429', false, true, rest(429, 20429)],
    ['500', false, true, rest(500, 20500)],
    ['503', false, true, rest(503, 20503)],
    ['502 from a gateway', true, true, rest(502, 0)],
    ['504 gateway timeout', true, true, rest(504, 0)],
    ['connection refused', false, true, Object.assign(new Error('x'), { code: 'ECONNREFUSED' })],
    ['DNS failure', false, true, Object.assign(new Error('x'), { code: 'ENOTFOUND' })],
    ['reset after writing', true, true, Object.assign(new Error('x'), { code: 'ECONNRESET' })],
    ['timeout', true, true, Object.assign(new Error('x'), { code: 'ETIMEDOUT' })],
    ['an unknown failure', true, false, new Error('boom')],
  ] as const)('%s → maybeSent %s, retryable %s', (_, maybeSent, retryable, err: unknown) => {
    const { error, safeToRepeat } = classifyTwilioError(err);
    expect(error).toMatchObject({ maybeSent, retryable, notDialed: false });
    expect(safeToRepeat).toBe(retryable && !maybeSent);
  });

  it('a create reset after it was written is not repeated and says maybeSent', async () => {
    const clock = fakeClock();
    const seen = creates([{ error: 'ECONNRESET' }]);
    await expect(adapter(clock).dial(request())).rejects.toMatchObject({ maybeSent: true, retryable: true });
    expect(seen.count).toBe(1);
  });

  it('a create whose connection was refused is repeated (it cannot have been placed)', async () => {
    const clock = fakeClock();
    const seen = creates([{ error: 'ECONNREFUSED' }, accepted]);
    await expect(adapter(clock).dial(request())).resolves.toEqual({ providerCallId: callSid });
    expect(seen.count).toBe(2);
  });

  it('a gateway timeout on create is not repeated: the call may exist', async () => {
    const clock = fakeClock();
    const seen = creates([[504, { message: 'Gateway Timeout', status: 504 }]]);
    await expect(adapter(clock).dial(request())).rejects.toMatchObject({ maybeSent: true, httpStatus: 504 });
    expect(seen.count).toBe(1);
  });
});

describe('fetchStatus', () => {
  const callResource = (status: string, extra: object = {}) => ({
    sid: callSid,
    status,
    duration: null,
    answered_by: null,
    queue_time: '0',
    date_created: 'Tue, 14 Nov 2023 22:13:20 +0000',
    ...extra,
  });

  it("returns Twilio's final status, duration and AMD answer of a call", async () => {
    nock(api)
      .get(callPath(callSid))
      .reply(200, callResource('completed', { duration: '42', answered_by: 'machine_end_beep' }));
    await expect(adapter(fakeClock()).fetchStatus(callSid)).resolves.toEqual({
      status: 'completed',
      durationSec: 42,
      answeredBy: 'machine_end_beep',
    });
  });

  it('a call Twilio does not know → null', async () => {
    nock(api)
      .get(callPath(callSid))
      .reply(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    await expect(adapter(fakeClock()).fetchStatus(callSid)).resolves.toBeNull();
  });

  it('a 503 is retried (reading is idempotent)', async () => {
    nock(api).get(callPath(callSid)).reply(unavailable[0], unavailable[1]);
    nock(api).get(callPath(callSid)).reply(200, callResource('ringing'));
    await expect(adapter(fakeClock()).fetchStatus(callSid)).resolves.toEqual({ status: 'ringing' });
  });

  it('an unknown status is a clear error, not a guess', async () => {
    nock(api).get(callPath(callSid)).reply(200, callResource('exploded'));
    await expect(adapter(fakeClock()).fetchStatus(callSid)).rejects.toThrow(/status/);
  });
});

describe('a call stuck in queued', () => {
  it('fetchStatus warns TWILIO_QUEUEING once when the call is still queued past the threshold', async () => {
    const clock = fakeClock();
    const warnings: TelephonyWarning[] = [];
    const tel = adapter(clock, { onWarning: (w) => warnings.push(w) });
    creates([accepted]);
    await tel.dial(request());
    const queued = { sid: callSid, status: 'queued', queue_time: '0' };
    nock(api).get(callPath(callSid)).times(3).reply(200, queued);

    clock.t = T0 + 1000;
    await expect(tel.fetchStatus(callSid)).resolves.toEqual({ status: 'queued' });
    expect(warnings).toEqual([]);

    clock.t = T0 + 6000;
    await tel.fetchStatus(callSid);
    clock.t = T0 + 9000;
    await tel.fetchStatus(callSid);
    expect(warnings).toEqual([
      expect.objectContaining({
        code: 'TWILIO_QUEUEING',
        attemptId: 'att-1',
        providerCallId: callSid,
        queuedForMs: 6000,
      }),
    ]);
  });

  it('with checkStuckQueued the adapter looks once after the create and warns', async () => {
    const clock = fakeClock();
    const warnings: TelephonyWarning[] = [];
    const tel = adapter(clock, { onWarning: (w) => warnings.push(w), checkStuckQueued: true });
    creates([accepted]);
    nock(api).get(callPath(callSid)).reply(200, { sid: callSid, status: 'queued' });
    await tel.dial(request());
    await tel.settled();
    expect(clock.sleeps).toEqual([5000]);
    expect(warnings).toEqual([
      expect.objectContaining({ code: 'TWILIO_QUEUEING', providerCallId: callSid, queuedForMs: 5000 }),
    ]);
  });

  it('with checkStuckQueued a call that left queued raises nothing', async () => {
    const clock = fakeClock();
    const warnings: TelephonyWarning[] = [];
    const tel = adapter(clock, { onWarning: (w) => warnings.push(w), checkStuckQueued: true });
    creates([accepted]);
    nock(api).get(callPath(callSid)).reply(200, { sid: callSid, status: 'ringing' });
    await tel.dial(request());
    await tel.settled();
    expect(warnings).toEqual([]);
  });
});

describe('a call Twilio still holds in its queue at notAfter', () => {
  it('is canceled at the deadline, so it never goes out after notAfter', async () => {
    const clock = fakeClock();
    const tel = adapter(clock);
    creates([accepted]);
    nock(api).get(callPath(callSid)).reply(200, { sid: callSid, status: 'queued' });
    const canceled: string[] = [];
    nock(api)
      .post(callPath(callSid), (body: Record<string, string>) => (canceled.push(body.Status ?? ''), true))
      .reply(200, { sid: callSid, status: 'canceled' });
    await tel.dial(request({ notAfter: T0 + 2000 }));
    await tel.settled();
    expect(clock.sleeps).toEqual([2000]);
    expect(canceled).toEqual(['canceled']);
  });

  it('is left alone when it left the queue before the deadline', async () => {
    const clock = fakeClock();
    const tel = adapter(clock);
    creates([accepted]);
    nock(api).get(callPath(callSid)).reply(200, { sid: callSid, status: 'ringing' });
    await tel.dial(request({ notAfter: T0 + 2000 }));
    await tel.settled();
    expect(clock.sleeps).toEqual([2000]);
  });
});
