/**
 * The abandonment limit is a hard constraint: across many seeded shifts with random team sizes, answer rates,
 * call lengths and limits, the predictive controller's abandonment rate never passes the limit at any moment of a
 * period. Power dialing on the same traffic does pass it, so the simulation can see a breach.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DEFAULT_SHIFT, simulateShift } from '../../src/simulation/shift.js';

const HOUR = 3_600_000;

describe('simulated shifts', () => {
  it('predictive never passes its abandonment limit (FTC and Ofcom periods)', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
          agents: fc.integer({ min: 1, max: 40 }),
          humanAnswerRate: fc.double({ min: 0.03, max: 0.6, noNaN: true }),
          talkMeanMs: fc.integer({ min: 20_000, max: 600_000 }),
          wrapMeanMs: fc.integer({ min: 2_000, max: 120_000 }),
          limitPct: fc.double({ min: 0.5, max: 3, noNaN: true }),
          rule: fc.constantFrom('ftc-30d' as const, 'ofcom-24h' as const),
          shiftHours: fc.integer({ min: 1, max: 12 }),
        }),
        (r) => {
          const report = simulateShift({
            ...DEFAULT_SHIFT,
            agents: r.agents,
            humanAnswerRate: r.humanAnswerRate,
            talkMeanMs: r.talkMeanMs,
            wrapMeanMs: r.wrapMeanMs,
            shiftMs: r.shiftHours * HOUR,
            seed: r.seed,
            mode: { mode: 'predictive', limitPct: r.limitPct, rule: r.rule },
          });
          expect(report.maxAbandonRatePct).toBeLessThanOrEqual(Math.round(r.limitPct * 100) / 100 + 0.005);
          expect(report.connected + report.abandoned).toBe(report.humanAnswered);
        },
      ),
      { numRuns: 40, seed: 20261204 },
    );
  });

  it('power dialing on a small team breaks the limit, so a broken controller would be caught', () => {
    const breaches = [1, 2, 3, 4, 5].filter((seed) => {
      const r = simulateShift({
        ...DEFAULT_SHIFT,
        agents: 5,
        seed,
        mode: { mode: 'power', linesPerAgent: 2 },
      });
      return r.maxAbandonRatePct > 3;
    });
    expect(breaches.length).toBeGreaterThan(0);
  });

  it('falls back to progressive with 5 agents or at a 5 % answer rate, and abandons nothing then', () => {
    const few = simulateShift({
      ...DEFAULT_SHIFT,
      agents: 5,
      seed: 7,
      mode: { mode: 'predictive', limitPct: 3 },
    });
    expect(few.fallbackReasons.TOO_FEW_AGENTS).toBeGreaterThan(0);
    expect(few.fallbackPct).toBe(100);
    expect(few.abandoned).toBe(0);
    const low = simulateShift({
      ...DEFAULT_SHIFT,
      humanAnswerRate: 0.05,
      seed: 7,
      mode: { mode: 'predictive', limitPct: 3 },
    });
    expect(low.fallbackReasons.LOW_ANSWER_RATE).toBeGreaterThan(0);
    expect(low.maxAbandonRatePct).toBeLessThanOrEqual(3);
  });

  it('progressive never abandons; predictive keeps agents busier than progressive on the same traffic', () => {
    const base = { ...DEFAULT_SHIFT, agents: 20, seed: 11 };
    const progressive = simulateShift({ ...base, mode: { mode: 'progressive' } });
    const predictive = simulateShift({ ...base, mode: { mode: 'predictive', limitPct: 3 } });
    expect(progressive.abandoned).toBe(0);
    expect(predictive.occupancyPct).toBeGreaterThan(progressive.occupancyPct);
    expect(predictive.talkMinutesPerAgentHour).toBeGreaterThan(progressive.talkMinutesPerAgentHour);
  });

  it('is repeatable: the same seed gives the same shift', () => {
    const config = { ...DEFAULT_SHIFT, seed: 99, mode: { mode: 'predictive', limitPct: 3 } as const };
    expect(simulateShift(config)).toEqual(simulateShift(config));
  });

  it('connects an answered lead to an idle agent through the pinned leg within the 2 seconds', () => {
    const r = simulateShift({ ...DEFAULT_SHIFT, seed: 3, mode: { mode: 'progressive' } });
    expect(r.answerWaitP95Ms).toBeLessThan(2000);
  });
});
