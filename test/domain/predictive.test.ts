import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { abandonmentHeadroom } from '../../src/domain/abandonment.js';
import {
  DEFAULT_PREDICTIVE_TUNING,
  NO_ESTIMATES,
  nextAggressiveness,
  predictiveCapacity,
  recordDial,
  recordHandled,
} from '../../src/domain/predictive.js';
import type { CallEstimates, PredictiveInput } from '../../src/domain/predictive.js';

const LEARNED: CallEstimates = {
  humanAnswerRate: 0.2,
  lineMs: 20_000,
  handleMs: 170_000,
  wrapMs: 20_000,
  samples: 500,
  handledSamples: 100,
};

const input = (over: Partial<PredictiveInput> = {}): PredictiveInput => ({
  limitPct: 3,
  tally: { answered: 1000, abandoned: 5 },
  agentsLoggedIn: 10,
  agentsIdle: 2,
  agentsTalking: 6,
  agentsWrapping: 2,
  estimates: LEARNED,
  aggressiveness: DEFAULT_PREDICTIVE_TUNING.initialAggressiveness,
  ...over,
});

describe('predictive capacity', () => {
  it('dials ahead for idle agents and agents about to free up', () => {
    const d = predictiveCapacity(input());
    expect(d.mode).toBe('predictive');
    // horizon 5 s: idle 2 + wrapping 2 * (1 - e^(-5/20)) + talking 6 * (1 - e^(-5/170)) = 2.62 agents;
    // aggressiveness 0.5 at a 20 % answer rate: 6 lines
    expect(d.maxLive).toBe(6);
    const bolder = predictiveCapacity(input({ aggressiveness: 2 }));
    expect(bolder.maxLive).toBe(26);
  });

  it.each([
    ['TOO_FEW_AGENTS', { agentsLoggedIn: 5 }, /5 agent\(s\) logged in: predictive needs at least 8/],
    ['LEARNING', { estimates: { ...LEARNED, samples: 12 } }, /learning the answer rate \(12 of 30 calls\)/],
    [
      'LOW_ANSWER_RATE',
      { estimates: { ...LEARNED, humanAnswerRate: 0.05 } },
      /answer rate 5.0 % is below 8.0 %/,
    ],
    [
      'NO_HEADROOM',
      { tally: { answered: 100, abandoned: 3 } },
      /no abandonment headroom this period \(3.0 % of the 3 % limit/,
    ],
  ] as const)('falls back to progressive (%s) with a reason for the monitor', (code, over, reason) => {
    const d = predictiveCapacity(input(over));
    expect(d).toMatchObject({ mode: 'progressive', maxLive: 2, fallback: code });
    if (d.mode === 'progressive') expect(d.reason).toMatch(reason);
  });

  it('never puts more lines at risk than the headroom, whatever the estimates (the hard cap)', () => {
    fc.assert(
      fc.property(
        fc.record({
          answered: fc.integer({ min: 0, max: 5000 }),
          abandonedShare: fc.double({ min: 0, max: 0.05, noNaN: true }),
          limitPct: fc.double({ min: 0.5, max: 3, noNaN: true }),
          agents: fc.integer({ min: 0, max: 200 }),
          idleShare: fc.double({ min: 0, max: 1, noNaN: true }),
          wrapShare: fc.double({ min: 0, max: 1, noNaN: true }),
          answerRate: fc.double({ min: 0, max: 1, noNaN: true }),
          lineMs: fc.integer({ min: 1, max: 120_000 }),
          handleMs: fc.integer({ min: 1, max: 3_600_000 }),
          aggressiveness: fc.double({ min: 0, max: 10, noNaN: true }),
        }),
        (r) => {
          const tally = { answered: r.answered, abandoned: Math.floor(r.answered * r.abandonedShare) };
          const idle = Math.floor(r.agents * r.idleShare);
          const wrapping = Math.floor((r.agents - idle) * r.wrapShare);
          const d = predictiveCapacity({
            limitPct: r.limitPct,
            tally,
            agentsLoggedIn: r.agents,
            agentsIdle: idle,
            agentsTalking: r.agents - idle - wrapping,
            agentsWrapping: wrapping,
            estimates: { ...LEARNED, humanAnswerRate: r.answerRate, lineMs: r.lineMs, handleMs: r.handleMs },
            aggressiveness: r.aggressiveness,
          });
          expect(d.maxLive).toBeGreaterThanOrEqual(idle);
          expect(d.maxLive - idle).toBeLessThanOrEqual(abandonmentHeadroom(tally, r.limitPct));
          expect(d.maxLive).toBeLessThanOrEqual(
            Math.max(idle, r.agents * DEFAULT_PREDICTIVE_TUNING.maxLinesPerAgent),
          );
        },
      ),
    );
  });
});

describe('learning', () => {
  it('estimates converge on what the calls do', () => {
    let est = NO_ESTIMATES;
    for (let i = 0; i < 2000; i++) est = recordDial(est, i % 5 === 0, i % 5 === 0 ? 12_000 : 25_000);
    for (let i = 0; i < 500; i++) est = recordHandled(est, 170_000, 20_000);
    expect(est.humanAnswerRate).toBeCloseTo(0.2, 1);
    expect(est.lineMs).toBeGreaterThan(20_000);
    expect(est.lineMs).toBeLessThan(25_000);
    expect(est.handleMs).toBeCloseTo(170_000, -2);
    expect(est.wrapMs).toBeCloseTo(20_000, -2);
    expect(est.samples).toBe(2000);
  });

  it('an abandoned call pulls the aggressiveness down hard, a connected one nudges it up', () => {
    const tally = { answered: 1000, abandoned: 0 };
    const tuning = { learningRate: 0.3 };
    const up = nextAggressiveness(1, false, 3, tally, tuning);
    const down = nextAggressiveness(1, true, 3, tally, tuning);
    expect(up).toBeGreaterThan(1);
    expect(up - 1).toBeLessThan(0.01);
    expect(1 - down).toBeGreaterThan(0.25);
    // near the limit the target is 0: even connected calls no longer raise it
    expect(nextAggressiveness(1, false, 3, { answered: 1000, abandoned: 30 }, tuning)).toBe(1);
    expect(nextAggressiveness(0.1, true, 3, tally, tuning)).toBe(DEFAULT_PREDICTIVE_TUNING.minAggressiveness);
  });
});
