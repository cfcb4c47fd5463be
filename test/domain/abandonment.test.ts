import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  abandonmentHeadroom,
  abandonmentRate,
  mayRiskAbandonmentAgain,
  periodStart,
  tallyOfPeriod,
} from '../../src/domain/abandonment.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('abandonment headroom', () => {
  it('is the most lines that may all abandon without passing the limit, and no more', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.1, max: 3, noNaN: true }),
        (answered, abandonedShare, limitPct) => {
          const limit = limitPct / 100;
          const abandoned = Math.min(answered, Math.floor(answered * limit * abandonedShare));
          const e = abandonmentHeadroom({ answered, abandoned }, limitPct);
          // even if all e lines are answered and abandoned, the rate stays within the limit
          expect((abandoned + e) / (answered + e || 1)).toBeLessThanOrEqual(limit + 1e-12);
          // one more would pass it
          expect((abandoned + e + 1) / (answered + e + 1)).toBeGreaterThan(limit - 1e-9);
        },
      ),
    );
  });

  it('starts a period with none and earns about 3 lines per 100 answered calls at 3 %', () => {
    expect(abandonmentHeadroom({ answered: 0, abandoned: 0 }, 3)).toBe(0);
    expect(abandonmentHeadroom({ answered: 100, abandoned: 0 }, 3)).toBe(3);
    expect(abandonmentHeadroom({ answered: 100, abandoned: 3 }, 3)).toBe(0);
    expect(abandonmentHeadroom({ answered: 1000, abandoned: 10 }, 3)).toBe(20);
    expect(abandonmentHeadroom({ answered: 1000, abandoned: 0 }, 0)).toBe(0);
  });
});

describe('periods', () => {
  const start = Date.UTC(2030, 0, 1);
  it('FTC: successive 30-day periods from the campaign start', () => {
    expect(periodStart('ftc-30d', start, start + 29 * DAY)).toBe(start);
    expect(periodStart('ftc-30d', start, start + 30 * DAY)).toBe(start + 30 * DAY);
    expect(periodStart('ftc-30d', start, start - 1)).toBe(start);
  });
  it('Ofcom: successive 24-hour periods', () => {
    expect(periodStart('ofcom-24h', start, start + 25 * HOUR)).toBe(start + DAY);
  });
  it('tallies only the answers of the current period', () => {
    const answers = [
      { at: start + HOUR, abandoned: true },
      { at: start + 2 * HOUR, abandoned: false },
      { at: start + DAY + HOUR, abandoned: false },
      { at: start + DAY + 2 * HOUR, abandoned: true },
      { at: start + DAY + 3 * HOUR, abandoned: false },
    ];
    const day2 = tallyOfPeriod(answers, 'ofcom-24h', start, start + DAY + 3 * HOUR);
    expect(day2).toEqual({ answered: 3, abandoned: 1 });
    expect(abandonmentRate(day2)).toBeCloseTo(1 / 3);
    expect(tallyOfPeriod(answers, 'ftc-30d', start, start + 2 * DAY)).toEqual({ answered: 5, abandoned: 2 });
    expect(abandonmentRate({ answered: 0, abandoned: 0 })).toBe(0);
  });
  it('Ofcom: an abandoned number waits 72 hours before a call that may abandon again', () => {
    expect(mayRiskAbandonmentAgain('ofcom-24h', 0, 72 * HOUR - 1)).toBe(false);
    expect(mayRiskAbandonmentAgain('ofcom-24h', 0, 72 * HOUR)).toBe(true);
    expect(mayRiskAbandonmentAgain('ftc-30d', 0, 1)).toBe(true);
  });
});
