/**
 * The legal per-24 h cap (Florida, Oklahoma: 3) and the minimum gap hold per NUMBER across the portal, not per
 * campaign. Property over the whole engine, both stores: the same numbers enrolled in 2-3 campaigns with random
 * minimum gaps and retry delays, random call outcomes and random time steps.
 *
 * Checked on the carrier's record of dials (time, campaign, number):
 * - cap: for every Florida number, any 4 consecutive dials span at least 24 h (never 4 in a rolling 24 h);
 * - gap: two consecutive dials of one number are at least the minGap of the campaign placing the later one.
 */
import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { CampaignService } from '../../src/engine/campaigns.js';
import { Engine } from '../../src/engine/dialer.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import type { Store } from '../../src/engine/store/store.js';
import {
  MONDAY_2PM_NY,
  ManualClock,
  RecordingTelephony,
  messageCampaign,
  nyZones,
  generousLimits,
} from './fixtures/harness.js';
import { redisStore, uniquePrefix } from './redis-helpers.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const FLORIDA = ['305-555-0100', '305-555-0101'];
const NEW_YORK = ['212-555-0100'];

const stores: [string, (clock: ManualClock) => { store: Store; cleanup: () => Promise<void> }][] = [
  [
    'memory',
    (clock) => {
      const store = new MemoryStore(clock);
      return { store, cleanup: () => store.close() };
    },
  ],
  ['redis', () => redisStore(uniquePrefix('numlimits'))],
];

const scenario = fc.record({
  campaigns: fc.array(
    fc.record({
      minGapMinutes: fc.constantFrom(1, 10, 30, 90),
      delayMinutes: fc.integer({ min: 1, max: 120 }),
      numbers: fc.subarray([...FLORIDA, ...NEW_YORK], { minLength: 1 }),
    }),
    { minLength: 2, maxLength: 3 },
  ),
  steps: fc.array(
    fc.record({
      advanceMinutes: fc.integer({ min: 1, max: 180 }),
      outcome: fc.constantFrom('busy', 'no-answer', 'no-answer', 'failed', 'completed'),
    }),
    { minLength: 20, maxLength: 50 },
  ),
});

describe.each(stores)('portal-wide per-number limits (%s store)', (_name, makeStore) => {
  it('property: no Florida number gets 4 dials in 24 h, no number two dials closer than the later campaign’s gap', async () => {
    let run = 0;
    let mostFloridaDials = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ campaigns: specs, steps }) => {
        const P = `np${++run}`;
        const clock = new ManualClock(MONDAY_2PM_NY);
        const { store, cleanup } = makeStore(clock);
        try {
          const telephony = new RecordingTelephony(clock);
          const campaigns = new CampaignService({ store, clock, zones: nyZones, random: () => 0 });
          const engine = new Engine({
            limits: generousLimits,
            store,
            telephony,
            clock,
            campaigns,
            zones: nyZones,
            random: () => 0,
          });
          const gapOf = new Map<string, number>();
          for (const [i, spec] of specs.entries()) {
            const c = await campaigns.create(
              P,
              {
                ...messageCampaign({ callsPerSecond: 100, maxConcurrentCalls: 100 }),
                retry: {
                  strategy: 'intervals',
                  delaysMinutes: [spec.delayMinutes],
                  maxAttempts: 10,
                  maxRetryDays: 7,
                  minGapMinutes: spec.minGapMinutes,
                },
              },
              `camp${i}`,
            );
            gapOf.set(c.campaignId, spec.minGapMinutes * MINUTE);
            await campaigns.enroll(
              P,
              c.campaignId,
              spec.numbers.map((phone, k) => ({ contactId: `k${k}-${phone}`, phone })),
            );
            await campaigns.act(P, c.campaignId, 'start');
          }
          let answered = 0;
          for (const step of steps) {
            await engine.pass(P);
            await new Promise((r) => setImmediate(r));
            // every new call ends with this step's outcome
            for (; answered < telephony.dials.length; answered++) {
              const d = telephony.dials[answered]!;
              await engine.handleCallEvent({
                type: 'status',
                attemptId: d.attemptId,
                providerCallId: `CA${answered}`,
                status: step.outcome,
                sequence: 2,
                at: clock.now(),
                ...(step.outcome === 'completed' ? { durationSec: 20 } : {}),
              });
            }
            clock.advance(step.advanceMinutes * MINUTE);
          }
          await engine.stop();

          const byNumber = new Map<string, { at: number; campaignId: string }[]>();
          for (const d of telephony.dials) {
            const list = byNumber.get(d.to) ?? [];
            list.push({ at: d.at, campaignId: d.campaignId });
            byNumber.set(d.to, list);
          }
          for (const [to, dials] of byNumber) {
            dials.sort((x, y) => x.at - y.at);
            for (let i = 1; i < dials.length; i++) {
              const gap = gapOf.get(dials[i]!.campaignId)!;
              expect(dials[i]!.at - dials[i - 1]!.at).toBeGreaterThanOrEqual(gap);
            }
            if (to.startsWith('+1305')) {
              mostFloridaDials = Math.max(mostFloridaDials, dials.length);
              for (let i = 3; i < dials.length; i++) {
                expect(dials[i]!.at - dials[i - 3]!.at).toBeGreaterThanOrEqual(DAY);
              }
            }
          }
        } finally {
          await cleanup();
        }
      }),
      { numRuns: 15 },
    );
    // the scenarios do reach the cap (a Florida number dialed more than 3 times over the simulated days)
    expect(mostFloridaDials).toBeGreaterThan(3);
  });
});
