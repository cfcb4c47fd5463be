/**
 * Observer hooks, carrier queueing warnings, rep wrap-ups (before and after the final status) and the
 * "second 13224 is permanent" rule, through the engine over the memory store with a manual clock.
 */
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import fc from 'fast-check';
import type { CallEvent } from '../../src/domain/call.js';
import type { Disposition, OutcomeCategory } from '../../src/domain/outcome.js';
import { CampaignService } from '../../src/engine/campaigns.js';
import { Engine } from '../../src/engine/dialer.js';
import type { StoredEvent } from '../../src/engine/events.js';
import type { EngineObserver } from '../../src/engine/observer.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import { suggestPaceAfterQueueing } from '../../src/telephony/twilio/caller-id.js';
import {
  MONDAY_2PM_NY,
  ManualClock,
  RecordingTelephony,
  messageCampaign,
  nyZones,
  generousLimits,
} from './fixtures/harness.js';

const P = '11';

class RecordingObserver implements EngineObserver {
  placed: string[] = [];
  finished: { disposition: Disposition; category: OutcomeCategory }[] = [];
  waits: number[] = [];
  depths: number[] = [];
  lowered: [number, number][] = [];
  errors: unknown[] = [];
  dialPlaced = (_p: string, c: string) => void this.placed.push(c);
  attemptFinished = (_p: string, _c: string, disposition: Disposition, category: OutcomeCategory) =>
    void this.finished.push({ disposition, category });
  pacerWait = (_p: string, _c: string, waitMs: number) => void this.waits.push(waitMs);
  queueDepth = (_p: string, _c: string, depth: number) => void this.depths.push(depth);
  paceLowered = (_p: string, _c: string, from: number, to: number) => void this.lowered.push([from, to]);
  error = (e: unknown) => void this.errors.push(e);
}

function setup() {
  const clock = new ManualClock(MONDAY_2PM_NY);
  const store = new MemoryStore(clock);
  const telephony = new RecordingTelephony(clock);
  const campaigns = new CampaignService({ store, clock, zones: nyZones, random: () => 0 });
  const observer = new RecordingObserver();
  const engine = new Engine({
    limits: generousLimits,
    store,
    telephony,
    clock,
    campaigns,
    zones: nyZones,
    random: () => 0,
    observer,
    onError: () => {},
  });
  return { clock, store, telephony, campaigns, observer, engine };
}

type Setup = ReturnType<typeof setup>;

async function startedCampaign(
  s: Setup,
  id: string,
  phones: string[],
  pace = { callsPerSecond: 10, maxConcurrentCalls: 10 },
) {
  const c = await s.campaigns.create(P, messageCampaign(pace), id);
  const rows = phones.map((phone, i) => ({
    contactId: `${id}-${i}`,
    phone,
    timeZone: 'America/New_York',
  }));
  expect((await s.campaigns.enroll(P, c.campaignId, rows)).enrolled).toBe(phones.length);
  await s.campaigns.act(P, c.campaignId, 'start');
  return c.campaignId;
}

const settle = () => new Promise((r) => setImmediate(r));

async function dialOnce(s: Setup) {
  const before = s.telephony.dials.length;
  await s.engine.pass(P);
  await settle();
  await settle();
  expect(s.telephony.dials.length).toBeGreaterThan(before);
  return s.telephony.dials[s.telephony.dials.length - 1]!;
}

function status(s: Setup, attemptId: string, st: string, sequence: number, extra: Partial<CallEvent> = {}) {
  return s.engine.handleCallEvent({
    type: 'status',
    attemptId,
    providerCallId: s.telephony.callIdOf(attemptId),
    status: st,
    sequence,
    at: s.clock.now(),
    ...extra,
  } as CallEvent);
}

async function events(s: Setup): Promise<StoredEvent[]> {
  return s.store.tail(P, '0', { count: 10_000, blockMs: 0 });
}

const ofType = <T extends StoredEvent['type']>(all: StoredEvent[], type: T) =>
  all.filter((e): e is Extract<StoredEvent, { type: T }> => e.type === type);

describe('engine observer hooks', () => {
  let s: Setup;
  beforeEach(() => {
    s = setup();
  });
  afterEach(() => s.store.close());

  it('reports each dial, each finished attempt once (duplicates ignored), pacer waits and the category', async () => {
    await startedCampaign(s, 'obs', ['212-555-0101', '212-555-0102'], {
      callsPerSecond: 1,
      maxConcurrentCalls: 10,
    });
    const first = await dialOnce(s);
    // the second lead is due but the 1 call/s pace holds it back
    expect(s.telephony.dials).toHaveLength(1);
    expect(s.observer.waits.length).toBeGreaterThan(0);
    expect(s.observer.waits.every((w) => w > 0 && w <= 1000)).toBe(true);
    expect(s.observer.placed).toEqual(['obs']);
    await status(s, first.attemptId, 'completed', 3, { durationSec: 20 });
    await status(s, first.attemptId, 'completed', 3, { durationSec: 20 });
    expect(s.observer.finished).toEqual([{ disposition: 'LEFT_LIVE_MESSAGE', category: 'LIVE_MESSAGE' }]);
    const finished = ofType(await events(s), 'attempt.finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]!.category).toBe('LIVE_MESSAGE');
    // the reaper's pass reports the queue depth of the active campaign
    s.clock.advance(1000);
    await s.engine.pass(P);
    expect(s.observer.depths.length).toBeGreaterThan(0);
  });
});

describe('carrier queueing warnings lower the pace', () => {
  let s: Setup;
  beforeEach(() => {
    s = setup();
  });
  afterEach(() => s.store.close());

  it('cuts the pace live, once per burst, with an alert naming old and new pace', async () => {
    const campaignId = await startedCampaign(s, 'q', ['212-555-0201']);
    const dial = await dialOnce(s);
    const expected = suggestPaceAfterQueueing(10, 800);
    expect(expected).toBeLessThan(10);
    const change = await s.engine.handleTelephonyWarning({
      code: 'TWILIO_QUEUEING',
      attemptId: dial.attemptId,
      queueTimeMs: 800,
      message: 'call queued',
    });
    expect(change).toMatchObject({ campaignId, fromCps: 10, toCps: expected });
    expect((await s.store.getCampaign(P, campaignId))!.settings.pace.callsPerSecond).toBe(expected);
    expect((await s.store.getCampaign(P, campaignId))!.status).toBe('active'); // live, no restart
    const alerts = ofType(await events(s), 'campaign.alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.level).toBe('warning');
    expect(alerts[0]!.message).toContain(`from 10 to ${expected}`);
    expect(s.observer.lowered).toEqual([[10, expected]]);
    // the rest of the burst changes nothing
    s.clock.advance(1000);
    expect(
      await s.engine.handleTelephonyWarning({
        code: 'TWILIO_QUEUEING',
        attemptId: dial.attemptId,
        queueTimeMs: 800,
        message: 'call queued',
      }),
    ).toBeNull();
    expect((await s.store.getCampaign(P, campaignId))!.settings.pace.callsPerSecond).toBe(expected);
    // a later burst cuts again
    s.clock.advance(10_000);
    const again = await s.engine.handleTelephonyWarning({
      code: 'TWILIO_QUEUEING',
      attemptId: dial.attemptId,
      queueTimeMs: 800,
      message: 'call queued',
    });
    expect(again).toMatchObject({ fromCps: expected, toCps: suggestPaceAfterQueueing(expected, 800) });
    // no attempt id: nothing to act on
    expect(await s.engine.handleTelephonyWarning({ code: 'TWILIO_QUEUEING', message: 'x' })).toBeNull();
  });
});

describe('wrap-up', () => {
  let s: Setup;
  beforeEach(() => {
    s = setup();
  });
  afterEach(() => s.store.close());

  it('before the final status: kept on the attempt, applied by the finish, one attempt.finished', async () => {
    const campaignId = await startedCampaign(s, 'w1', ['212-555-0301']);
    const dial = await dialOnce(s);
    await status(s, dial.attemptId, 'in-progress', 2);
    await s.engine.wrapUp(P, dial.attemptId, { wrongNumber: true, notes: 'not Ann' });
    // the call is still live: the lead is still dialing
    expect((await s.store.getLead(P, campaignId, 'w1-0'))!.progress.state).toBe('dialing');
    await status(s, dial.attemptId, 'completed', 3, { durationSec: 40 });
    const all = await events(s);
    const finished = ofType(all, 'attempt.finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({
      disposition: 'WRONG_NUMBER',
      category: 'WRONG_NUMBER',
      wrongNumber: true,
      notes: 'not Ann',
      nextState: 'failed',
    });
    expect(ofType(all, 'attempt.wrapped-up')).toHaveLength(0);
    expect((await s.store.getLead(P, campaignId, 'w1-0'))!.progress.state).toBe('failed');
    expect(s.observer.finished).toEqual([{ disposition: 'WRONG_NUMBER', category: 'WRONG_NUMBER' }]);
    // the same wrap-up again is a no-op; a different one is refused
    await s.engine.wrapUp(P, dial.attemptId, { notes: 'not Ann', wrongNumber: true });
    await expect(s.engine.wrapUp(P, dial.attemptId, { disposition: 'CONNECTED' })).rejects.toThrow(
      /different wrap-up/,
    );
    expect(await events(s)).toHaveLength(all.length);
  });

  it('after the final status: one attempt.wrapped-up with the new state; twice is a no-op', async () => {
    const campaignId = await startedCampaign(s, 'w2', ['212-555-0401']);
    const dial = await dialOnce(s);
    await status(s, dial.attemptId, 'completed', 3, { durationSec: 40 });
    expect((await s.store.getLead(P, campaignId, 'w2-0'))!.progress.state).toBe('reached');
    const callbackAt = MONDAY_2PM_NY + 2 * 3_600_000; // 16:00 in New York, inside the window
    await s.engine.wrapUp(P, dial.attemptId, { callbackAt, notes: 'call me at 4' });
    const lead = (await s.store.getLead(P, campaignId, 'w2-0'))!;
    expect(lead.progress.state).toBe('retrying');
    expect(lead.dueAt).toBe(callbackAt);
    const count = (await events(s)).length;
    await s.engine.wrapUp(P, dial.attemptId, { notes: 'call me at 4', callbackAt });
    const all = await events(s);
    expect(all).toHaveLength(count);
    expect(ofType(all, 'attempt.finished')).toHaveLength(1);
    const wrapped = ofType(all, 'attempt.wrapped-up');
    expect(wrapped).toHaveLength(1);
    expect(wrapped[0]).toMatchObject({
      attemptId: dial.attemptId,
      disposition: 'CALLBACK_REQUESTED',
      notes: 'call me at 4',
      nextState: 'retrying',
      nextAt: callbackAt,
    });
    await expect(s.engine.wrapUp(P, dial.attemptId, { doNotCall: true })).rejects.toThrow(/different/);
  });

  it("refuses a wrap-up of an attempt that is not the contact's latest", async () => {
    await startedCampaign(s, 'w3', ['212-555-0501']);
    const first = await dialOnce(s);
    await status(s, first.attemptId, 'busy', 2);
    s.clock.advance(3_600_000);
    await dialOnce(s);
    await expect(s.engine.wrapUp(P, first.attemptId, { disposition: 'BUSY' })).rejects.toThrow(
      /not the contact's latest/,
    );
    await expect(s.engine.wrapUp(P, 'a.11.nope', { disposition: 'BUSY' })).rejects.toThrow(/not found/);
  });

  it('property: a DNC wrap-up, before or after the final status, blocks the number in every campaign', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ beforeFinal: fc.boolean(), others: fc.integer({ min: 1, max: 3 }), late: fc.boolean() }),
        async ({ beforeFinal, others, late }) => {
          const t = setup();
          try {
            const phone = '212-555-0601';
            const e164 = '+12125550601';
            await startedCampaign(t, 'dnc-main', [phone]);
            const dial = await dialOnce(t);
            // the same number waits in other campaigns (due later, while the first call is live)
            const otherIds: string[] = [];
            for (let i = 0; i < others; i++) {
              const c = await t.campaigns.create(P, messageCampaign(), `dnc-o${i}`);
              await t.campaigns.enroll(P, c.campaignId, [
                { contactId: `o${i}`, phone, timeZone: 'America/New_York' },
              ]);
              await t.campaigns.act(P, c.campaignId, 'start');
              otherIds.push(c.campaignId);
            }
            if (beforeFinal) {
              await t.engine.wrapUp(P, dial.attemptId, { doNotCall: true });
              // safety first: blocked at once, while the call is still live
              expect(await t.store.isDoNotCall(P, e164)).toBe(true);
              await status(t, dial.attemptId, 'completed', 3, { durationSec: 30 });
            } else {
              await status(t, dial.attemptId, 'completed', 3, { durationSec: 30 });
              await t.engine.wrapUp(P, dial.attemptId, { doNotCall: true });
            }
            expect(await t.store.isDoNotCall(P, e164)).toBe(true);
            expect((await t.store.getLead(P, 'dnc-main', 'dnc-main-0'))!.progress.state).toBe('dnc');
            const dialsAfter = t.telephony.dials.length;
            t.clock.advance(late ? 2 * 3_600_000 : 120_000);
            for (let i = 0; i < 3; i++) {
              await t.engine.pass(P);
              await settle();
            }
            // nobody dials the number again, in any campaign
            expect(t.telephony.dials.slice(dialsAfter).filter((d) => d.to === e164)).toHaveLength(0);
            for (const [i, id] of otherIds.entries()) {
              expect((await t.store.getLead(P, id, `o${i}`))!.progress.state).toBe('dnc');
            }
          } finally {
            await t.store.close();
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('Twilio 13224 ("likely invalid")', () => {
  let s: Setup;
  beforeEach(() => {
    s = setup();
  });
  afterEach(() => s.store.close());

  it('is retried once; the second 13224 on the contact is a permanent failure', async () => {
    const campaignId = await startedCampaign(s, 'inv', ['212-555-0701']);
    const first = await dialOnce(s);
    await status(s, first.attemptId, 'failed', 2, { errorCode: 13224 });
    const lead = (await s.store.getLead(P, campaignId, 'inv-0'))!;
    expect(lead.progress).toMatchObject({ state: 'retrying', likelyInvalid: 1 });
    s.clock.advance(lead.dueAt! - s.clock.now());
    const second = await dialOnce(s);
    expect(second.attemptId).not.toBe(first.attemptId);
    await status(s, second.attemptId, 'failed', 2, { errorCode: 13224 });
    const finished = ofType(await events(s), 'attempt.finished');
    expect(finished.map((e) => e.category)).toEqual(['LIKELY_INVALID', 'LIKELY_INVALID_REPEATED']);
    expect(finished[1]!.nextState).toBe('failed');
    expect((await s.store.getLead(P, campaignId, 'inv-0'))!.progress).toMatchObject({
      state: 'failed',
      likelyInvalid: 2,
    });
  });
});
