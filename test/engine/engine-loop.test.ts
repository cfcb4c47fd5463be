/**
 * The worker loop: it never starves the event loop (timers and I/O callbacks run between passes even when work
 * is always due), and its reaper looks at leases when they end instead of polling every second.
 */
import { describe, expect, it } from '@jest/globals';
import { CampaignService } from '../../src/engine/campaigns.js';
import { simulationClock } from '../../src/shared/clock.js';
import type { Clock } from '../../src/shared/clock.js';
import { DEFAULT_TIMINGS, Engine } from '../../src/engine/dialer.js';
import type { StoredEvent } from '../../src/engine/events.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import { seededRandom } from '../../src/domain/random.js';
import {
  MONDAY_2PM_NY,
  RecordingTelephony,
  messageCampaign,
  nyZones,
  generousLimits,
} from './fixtures/harness.js';

const P = 'loop';
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function build(clock: Clock) {
  const store = new MemoryStore(clock);
  const campaigns = new CampaignService({ store, clock, zones: nyZones, random: seededRandom(1) });
  const telephony = new RecordingTelephony(clock);
  const engine = new Engine({
    limits: generousLimits,
    store,
    telephony,
    clock,
    campaigns,
    zones: nyZones,
    random: seededRandom(2),
    onError: (error) => {
      throw error;
    },
  });
  return { store, campaigns, telephony, engine };
}

/** Bounded: a number of event-loop turns, never a wall-clock threshold. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200_000; i++) {
    if (await condition()) return;
    await turn();
  }
  throw new Error(`never happened: ${what}`);
}

describe('Engine worker loop', () => {
  it('runs at most one pass per event-loop turn, even when the next pass is always already due', async () => {
    // Every reading of this clock is 5 s later: each pass ends with the next one overdue, the situation in
    // which a loop over a memory store (microtasks only) used to run pass after pass and starve every timer.
    let t = MONDAY_2PM_NY;
    const clock: Clock = {
      now: () => (t += 5_000),
      sleep: () => turn(),
    };
    const { engine } = build(clock);
    let passes = 0;
    const pass = engine.pass.bind(engine);
    engine.pass = (portalId, stop) => {
      passes++;
      return pass(portalId, stop);
    };
    engine.start([P]);
    try {
      await until(() => passes > 0, 'a first pass');
      for (let i = 0; i < 50; i++) {
        const before = passes;
        await turn();
        expect(passes - before).toBeLessThanOrEqual(1);
      }
      expect(passes).toBeGreaterThan(10);
    } finally {
      await engine.stop();
    }
  });

  it('finalizes a silent call when its lease ends, and an idle portal is not polled every second', async () => {
    const clock = simulationClock(MONDAY_2PM_NY, 1_000_000);
    const { store, campaigns, telephony, engine } = build(clock);
    let reaps = 0;
    const expiredAttempts = store.expiredAttempts.bind(store);
    store.expiredAttempts = (...args) => {
      reaps++;
      return expiredAttempts(...args);
    };
    const events = async () => store.tail(P, '0', { count: 10_000, blockMs: 0 });
    const finished = async () =>
      (await events()).filter(
        (e): e is Extract<StoredEvent, { type: 'attempt.finished' }> => e.type === 'attempt.finished',
      );
    try {
      const c = await campaigns.create(P, messageCampaign(), 'loop');
      await campaigns.enroll(P, c.campaignId, [{ contactId: 'c1', phone: '212-555-0101' }]);
      engine.start([P]);
      await campaigns.act(P, c.campaignId, 'start');
      await until(() => telephony.dials.length === 1, 'the dial');
      const attempt = (await store.getAttempt(P, telephony.dials[0]!.attemptId))!;
      // The carrier never calls back: the call is lost once its dial lease ends, and not a poll later.
      expect(attempt.leaseUntil).toBe(attempt.dialRequestedAt! + 25_000 + DEFAULT_TIMINGS.callbackSilenceMs);
      await until(async () => (await finished()).length === 1, 'the lost call to be finalized');
      const [lost] = await finished();
      expect(lost!.outcomeLabel).toBe('No final call status (lost)');
      expect(lost!.at).toBeGreaterThanOrEqual(attempt.leaseUntil);
      expect(lost!.at).toBeLessThanOrEqual(attempt.leaseUntil + 1000);

      // Nothing live, the retry an hour away: half an hour of simulated idleness costs a look every
      // half claim lease (7.5 s), not one a second.
      const from = clock.now();
      const reapsBefore = reaps;
      await until(() => clock.now() >= from + 30 * 60_000, 'half an hour to pass');
      const looks = reaps - reapsBefore;
      expect(looks).toBeGreaterThan(0);
      expect(looks).toBeLessThanOrEqual((30 * 60_000) / (DEFAULT_TIMINGS.claimLeaseMs / 2) + 2);
    } finally {
      await engine.stop();
      clock.stop();
    }
  });
});
