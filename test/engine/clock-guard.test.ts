/**
 * Clock skew and legal hours (issue 9 #2): a worker checks its clock against the store's shared clock (Redis
 * TIME; the memory store's own clock) and refuses to dial while the skew is beyond its bound. A worker 10
 * minutes slow places no call; one within the bound dials, and its carrier deadline comes from the checked time.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import fc from 'fast-check';
import { CampaignService } from '../../src/engine/campaigns.js';
import { ClockGuard } from '../../src/engine/clock-guard.js';
import { Engine } from '../../src/engine/dialer.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import { realClock, shiftedClock } from '../../src/shared/clock.js';
import type { Clock } from '../../src/shared/clock.js';
import {
  MONDAY_2PM_NY,
  ManualClock,
  RecordingTelephony,
  generousLimits,
  messageCampaign,
  nyZones,
} from './fixtures/harness.js';
import { redisStore, uniquePrefix } from './redis-helpers.js';

const P = '11';
const TEN_MINUTES = 10 * 60_000;
/** everyMs 0: measured before every pass (the manual clock does not move between the test's passes). */
const BOUND = { maxSkewMs: 2000, everyMs: 0 };
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

/** One worker over a memory store whose clock is the shared one; the worker's own clock is `workerClock`. */
async function worker(shared: ManualClock, workerClock: Clock) {
  const store = new MemoryStore(shared);
  const telephony = new RecordingTelephony(workerClock);
  const campaigns = new CampaignService({ store, clock: workerClock, zones: nyZones, random: () => 0 });
  const engine = new Engine({
    limits: generousLimits,
    store,
    telephony,
    clock: workerClock,
    campaigns,
    zones: nyZones,
    random: () => 0,
    clockCheck: BOUND,
    onError: () => {},
  });
  const { campaignId } = await campaigns.create(P, messageCampaign(), 'camp');
  await campaigns.enroll(P, campaignId, [
    { contactId: 'c1', phone: '(212) 555-0101', timeZone: 'America/New_York' },
  ]);
  await campaigns.act(P, campaignId, 'start');
  return { store, telephony, engine };
}

describe('clock guard', () => {
  it('a worker 10 minutes slow does not dial, and says so; back within the bound it dials', async () => {
    const shared = new ManualClock(MONDAY_2PM_NY);
    let offset = -TEN_MINUTES;
    const workerClock: Clock = { now: () => shared.now() + offset, sleep: (ms, s) => shared.sleep(ms, s) };
    const { store, telephony, engine } = await worker(shared, workerClock);
    await engine.pass(P);
    expect(telephony.dials).toEqual([]);
    await expect(engine.clockCheck()).rejects.toThrow(/clock.*600(\.\d+)? s behind/);
    offset = -500; // within the 2 s bound
    await engine.pass(P);
    expect(telephony.dials).toHaveLength(1);
    await expect(engine.clockCheck()).resolves.toBeUndefined();
    // the carrier deadline comes from the checked (shared) time, not the worker's own: now + the 2 s allowance
    expect(telephony.dials[0]!.notAfter).toBe(shared.now() + 2000);
    await engine.stop();
    store.close();
  });

  it('a worker 10 minutes fast does not dial either', async () => {
    const shared = new ManualClock(MONDAY_2PM_NY);
    const { store, telephony, engine } = await worker(shared, shiftedClock(TEN_MINUTES, shared));
    await engine.pass(P);
    expect(telephony.dials).toEqual([]);
    await expect(engine.clockCheck()).rejects.toThrow(/ahead/);
    store.close();
  });

  it('property: a worker dials iff its clock is within the bound of the shared clock', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -2 * TEN_MINUTES, max: 2 * TEN_MINUTES }), async (skew) => {
        const shared = new ManualClock(MONDAY_2PM_NY);
        const { store, telephony, engine } = await worker(shared, shiftedClock(skew, shared));
        await engine.pass(P);
        expect(telephony.dials.length).toBe(Math.abs(skew) <= BOUND.maxSkewMs ? 1 : 0);
        await engine.stop();
        store.close();
      }),
      { numRuns: 60, examples: [[2000], [2001], [-2000], [-2001], [0]] },
    );
  });

  it('agrees with the shared clock it is given (a simulation shifts Redis TIME by its own offset)', async () => {
    const shared = new ManualClock(MONDAY_2PM_NY);
    const store = new MemoryStore(realClock);
    const onTime = new ClockGuard(store, shared, {
      ...BOUND,
      shared: { serverTime: async () => shared.now() },
    });
    await onTime.check();
    expect(onTime.allowsDialing()).toBe(true);
    const unshifted = new ClockGuard(store, shared, BOUND); // the store's real time is years away
    await unshifted.check();
    expect(unshifted.allowsDialing()).toBe(false);
    store.close();
  });

  it('measures against Redis TIME', async () => {
    const h = redisStore(uniquePrefix('clock'));
    cleanups.push(h.cleanup);
    const slow = new ClockGuard(h.store, shiftedClock(-TEN_MINUTES, realClock), BOUND);
    await slow.check();
    expect(slow.allowsDialing()).toBe(false);
    expect(Math.abs(slow.skewMs! + TEN_MINUTES)).toBeLessThan(1000);
    const right = new ClockGuard(h.store, realClock, BOUND);
    await right.check();
    expect(right.allowsDialing()).toBe(true);
    expect(Math.abs(right.checkedNow() - Date.now())).toBeLessThan(BOUND.maxSkewMs);
  });
});
