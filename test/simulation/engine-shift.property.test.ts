/**
 * The abandonment limit through the real engine: seeded predictive shifts (simulated carrier, memory store,
 * simulated agents) never let the period's abandonment rate pass the campaign's limit, as the store counts it
 * and as the outcomes say. A property over seeds and limits, not a timing.
 */
import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { runEngineShift } from '../../src/simulation/engine-shift.js';

describe('predictive dialing through the engine', () => {
  it('never passes the abandonment limit of the period, whatever the seed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(1, 3),
        fc.constantFrom(0.15, 0.3),
        async (seed, limitPct, answerRate) => {
          const r = await runEngineShift({
            seed,
            agents: 10,
            hours: 0.5,
            answerRate,
            leads: 1500,
            mode: { mode: 'predictive', limitPct },
          });
          const [period] = r.periods;
          expect(period!.answered).toBeGreaterThan(0);
          expect(period!.abandoned).toBeLessThanOrEqual((limitPct / 100) * period!.answered);
          // the store's tally and the outcomes agree on the abandoned calls
          expect(r.abandonedOutcomes).toBe(period!.abandoned);
        },
      ),
      { numRuns: 4, seed: 4242 },
    );
  }, 120_000);
});
