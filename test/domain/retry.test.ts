import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  EMPTY_HISTORY,
  SMART_INTENSITY_TABLE,
  calendarDaysBetween,
  dayNumber,
  nextRetry,
  recordAttempt,
  smartPhaseFor,
  stopReasonAt,
} from '../../src/domain/retry.js';
import type { AttemptHistory, RetryDecision } from '../../src/domain/retry.js';
import { RetryPolicySchema } from '../../src/domain/settings.js';
import type { RetryPolicy, SmartIntensity } from '../../src/domain/settings.js';

const NY = 'America/New_York';
const MIN = 60_000;
const HOUR = 60 * MIN;
const local = (iso: string, zone = NY) => DateTime.fromISO(iso, { zone }).toMillis();
/** Monday 2 June 2025, 09:00 in New York. */
const T0 = local('2025-06-02T09:00');

const smart = (intensity: SmartIntensity, extra: Partial<RetryPolicy> = {}): RetryPolicy =>
  RetryPolicySchema.parse({ strategy: 'smart', intensity, maxAttempts: 100, maxRetryDays: null, ...extra });
const intervals = (delaysMinutes: number[], extra: Partial<RetryPolicy> = {}): RetryPolicy =>
  RetryPolicySchema.parse({
    strategy: 'intervals',
    delaysMinutes,
    maxAttempts: 100,
    maxRetryDays: null,
    ...extra,
  });

/** Attempts made whenever allowed (no calling window, every attempt unanswered), until a stop or `untilDay`. */
function simulate(policy: RetryPolicy, random: () => number, untilDay = 20) {
  const times: number[] = [];
  let history: AttemptHistory = EMPTY_HISTORY;
  let at = T0;
  let stop: RetryDecision | null = null;
  while (dayNumber(T0, at, NY) <= untilDay) {
    times.push(at);
    history = recordAttempt(history, at, false);
    const d = nextRetry(policy, history, at, NY, random);
    if (d.kind === 'stop') {
      stop = d;
      break;
    }
    at = d.notBefore;
  }
  return { times, stop, history };
}

function attemptsPerDay(times: number[]): Map<number, number[]> {
  const byDay = new Map<number, number[]>();
  for (const t of times) {
    const day = dayNumber(T0, t, NY);
    byDay.set(day, [...(byDay.get(day) ?? []), t]);
  }
  return byDay;
}

const seeded = (seed: number) => {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
};

describe('Smart Calling: Aggressive (seed 003)', () => {
  for (const [name, random] of [
    ['low jitter', () => 0],
    ['high jitter', () => 0.999],
    ['seeded jitter', seeded(7)],
  ] as const) {
    it(`day 1: three attempts about an hour apart; days 2-10: two a day; day 11+: one a day (${name})`, () => {
      const { times } = simulate(smart('aggressive'), random, 20);
      const byDay = attemptsPerDay(times);
      expect(byDay.get(1)).toHaveLength(3);
      const [a, b, c] = byDay.get(1)!;
      for (const gap of [b! - a!, c! - b!]) {
        expect(gap).toBeGreaterThanOrEqual(50 * MIN);
        expect(gap).toBeLessThanOrEqual(70 * MIN);
      }
      for (let day = 2; day <= 10; day++) {
        const [morning, later] = byDay.get(day)!;
        expect(byDay.get(day)).toHaveLength(2);
        const morningLocal = DateTime.fromMillis(morning!, { zone: NY });
        expect(morningLocal.hour * 60 + morningLocal.minute).toBeGreaterThanOrEqual(9 * 60);
        expect(morningLocal.hour * 60 + morningLocal.minute).toBeLessThan(10 * 60 + 30);
        // the second call is in the afternoon/evening: 4-6 h after the morning one
        expect(later! - morning!).toBeGreaterThanOrEqual(4 * HOUR);
        expect(later! - morning!).toBeLessThanOrEqual(6 * HOUR);
        expect(DateTime.fromMillis(later!, { zone: NY }).hour).toBeGreaterThanOrEqual(13);
      }
      for (let day = 11; day <= 20; day++) expect(byDay.get(day)).toHaveLength(1);
    });
  }

  it('never waits a week: every calendar day has a call', () => {
    const { times } = simulate(smart('aggressive'), seeded(3), 30);
    for (let i = 1; i < times.length; i++)
      expect(calendarDaysBetween(times[i - 1]!, times[i]!, NY)).toBeLessThanOrEqual(1);
  });
});

describe('Smart Calling: Moderate and Conservative', () => {
  it('moderate: day 1 two calls ~3 h apart, days 2-5 two a day, days 6-14 one a day, then every 2 days', () => {
    const { times } = simulate(smart('moderate'), seeded(11), 24);
    const byDay = attemptsPerDay(times);
    const [a, b] = byDay.get(1)!;
    expect(byDay.get(1)).toHaveLength(2);
    expect(b! - a!).toBeGreaterThanOrEqual(150 * MIN);
    expect(b! - a!).toBeLessThanOrEqual(210 * MIN);
    for (let day = 2; day <= 5; day++) expect(byDay.get(day)).toHaveLength(2);
    for (let day = 6; day <= 14; day++) expect(byDay.get(day)).toHaveLength(1);
    expect([...byDay.keys()].filter((d) => d > 14)).toEqual([16, 18, 20, 22, 24]);
  });

  it('conservative: one a day for days 1-3, every 2 days until day 10, then every 3 days', () => {
    const { times } = simulate(smart('conservative'), seeded(5), 26);
    const byDay = attemptsPerDay(times);
    expect([...byDay.keys()]).toEqual([1, 2, 3, 5, 7, 9, 11, 14, 17, 20, 23, 26]);
    for (const n of byDay.values()) expect(n).toHaveLength(1);
    for (const t of times.slice(1)) {
      const h = DateTime.fromMillis(t, { zone: NY }).hour;
      expect(h).toBeGreaterThanOrEqual(10);
      expect(h).toBeLessThan(16);
    }
  });

  it('the table has no gaps or overlaps, and its last phase runs for ever', () => {
    for (const phases of Object.values(SMART_INTENSITY_TABLE)) {
      expect(phases[0]!.fromDay).toBe(1);
      for (let i = 1; i < phases.length; i++) expect(phases[i]!.fromDay).toBe(phases[i - 1]!.toDay! + 1);
      expect(phases.at(-1)!.toDay).toBeNull();
    }
    expect(smartPhaseFor('aggressive', 10).attemptsPerDay).toBe(2);
    expect(smartPhaseFor('aggressive', 11).attemptsPerDay).toBe(1);
    expect(smartPhaseFor('aggressive', 400).everyDays).toBe(1);
  });

  it('jitter comes from the injected random', () => {
    const history = recordAttempt(EMPTY_HISTORY, T0, false);
    const low = nextRetry(smart('aggressive'), history, T0, NY, () => 0);
    const high = nextRetry(smart('aggressive'), history, T0, NY, () => 0.999);
    expect(low).toEqual({ kind: 'retry', notBefore: T0 + 50 * MIN });
    expect(high.kind === 'retry' && high.notBefore).toBeGreaterThan(T0 + 69 * MIN);
  });

  it('an attempt late in the evening moves to the next morning instead of past midnight', () => {
    const late = local('2025-06-02T23:30');
    const d = nextRetry(smart('aggressive'), recordAttempt(EMPTY_HISTORY, late, false), late, NY, () => 0);
    expect(d).toEqual({ kind: 'retry', notBefore: local('2025-06-03T09:00') });
  });

  it('keeps local morning hours across a DST change', () => {
    const beforeDst = local('2025-03-08T15:00'); // Saturday; clocks go forward on Sunday 9 March
    let h = recordAttempt(EMPTY_HISTORY, beforeDst - 6 * HOUR, false);
    h = recordAttempt(h, beforeDst - 5 * HOUR, false);
    h = recordAttempt(h, beforeDst, false);
    const d = nextRetry(smart('aggressive'), h, beforeDst, NY, () => 0);
    expect(d).toEqual({ kind: 'retry', notBefore: local('2025-03-09T09:00') });
  });
});

describe('Defined Intervals', () => {
  it('delaysMinutes[i] is the delay after attempt i+1, and the last one repeats', () => {
    const policy = intervals([60, 240, 1440]);
    let h = EMPTY_HISTORY;
    let at = T0;
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      h = recordAttempt(h, at, false);
      const d = nextRetry(policy, h, at, NY, () => 0.5);
      if (d.kind !== 'retry') throw new Error('expected a retry');
      delays.push((d.notBefore - at) / MIN);
      at = d.notBefore;
    }
    expect(delays).toEqual([60, 240, 1440, 1440, 1440]);
  });

  it('the minimum gap wins over a shorter delay', () => {
    const h = recordAttempt(EMPTY_HISTORY, T0, false);
    expect(nextRetry(intervals([5], { minGapMinutes: 45 }), h, T0, NY, Math.random)).toEqual({
      kind: 'retry',
      notBefore: T0 + 45 * MIN,
    });
  });

  it('never proposes a time before now', () => {
    const h = recordAttempt(EMPTY_HISTORY, T0, false);
    const now = T0 + 5 * HOUR;
    expect(nextRetry(intervals([60]), h, now, NY, Math.random)).toEqual({ kind: 'retry', notBefore: now });
  });
});

describe('stop conditions', () => {
  it('MAX_ATTEMPTS once the attempts made reach the maximum', () => {
    const policy = intervals([60], { maxAttempts: 3 });
    const { times, stop } = simulate(policy, Math.random);
    expect(times).toHaveLength(3);
    expect(stop).toEqual({ kind: 'stop', reason: 'MAX_ATTEMPTS' });
  });

  it('MAX_RETRY_DAYS when the next time would fall after the last allowed calendar day', () => {
    const { times, stop } = simulate(intervals([1440 * 3], { maxRetryDays: 7 }), Math.random);
    expect(times.map((t) => dayNumber(T0, t, NY))).toEqual([1, 4, 7]);
    expect(stop).toEqual({ kind: 'stop', reason: 'MAX_RETRY_DAYS' });
  });

  it('maxRetryDays 0 allows same-day retries only', () => {
    const { times, stop } = simulate(smart('aggressive', { maxRetryDays: 0 }), () => 0.5);
    expect(times).toHaveLength(3);
    expect(stop).toEqual({ kind: 'stop', reason: 'MAX_RETRY_DAYS' });
  });

  it('two consecutive technical errors stop; a non-technical result resets the run', () => {
    const policy = intervals([30]);
    let h = recordAttempt(EMPTY_HISTORY, T0, true);
    expect(nextRetry(policy, h, T0, NY, Math.random).kind).toBe('retry');
    h = recordAttempt(h, T0 + HOUR, false);
    expect(h.consecutiveTechnicalErrors).toBe(0);
    h = recordAttempt(h, T0 + 2 * HOUR, true);
    expect(nextRetry(policy, h, T0 + 2 * HOUR, NY, Math.random).kind).toBe('retry');
    h = recordAttempt(h, T0 + 3 * HOUR, true);
    expect(nextRetry(policy, h, T0 + 3 * HOUR, NY, Math.random)).toEqual({
      kind: 'stop',
      reason: 'CONSECUTIVE_ERRORS',
    });
  });

  it('calendar days are counted in the contact zone, not in 24 h blocks', () => {
    const policy = intervals([60], { maxRetryDays: 0 });
    const lateEvening = local('2025-06-02T23:10');
    const h = recordAttempt(EMPTY_HISTORY, lateEvening, false);
    expect(stopReasonAt(policy, h, lateEvening + 40 * MIN, NY)).toBeNull();
    expect(stopReasonAt(policy, h, lateEvening + 60 * MIN, NY)).toBe('MAX_RETRY_DAYS');
    // the same instants are one calendar day in Los Angeles
    expect(stopReasonAt(policy, h, lateEvening + 60 * MIN, 'America/Los_Angeles')).toBeNull();
  });

  it('a fresh contact is never stopped', () => {
    expect(stopReasonAt(intervals([60], { maxAttempts: 1 }), EMPTY_HISTORY, T0, NY)).toBeNull();
  });
});

describe('recordAttempt', () => {
  it('counts, remembers first and last, and keeps only the last 48 h of times', () => {
    let h = recordAttempt(EMPTY_HISTORY, T0, false);
    h = recordAttempt(h, T0 + 24 * HOUR, true);
    h = recordAttempt(h, T0 + 50 * HOUR, true);
    expect(h).toEqual({
      attempts: 3,
      firstAttemptAt: T0,
      lastAttemptAt: T0 + 50 * HOUR,
      consecutiveTechnicalErrors: 2,
      recentAttemptTimes: [T0 + 24 * HOUR, T0 + 50 * HOUR],
    });
  });
});

describe('nextRetry: properties', () => {
  const policyArb: fc.Arbitrary<RetryPolicy> = fc
    .record({
      strategy: fc.constantFrom('smart', 'intervals'),
      intensity: fc.constantFrom('aggressive', 'moderate', 'conservative'),
      delaysMinutes: fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 6 }),
      maxAttempts: fc.option(fc.integer({ min: 1, max: 40 })),
      maxRetryDays: fc.option(fc.integer({ min: 0, max: 30 })),
      minGapMinutes: fc.integer({ min: 1, max: 600 }),
      zone: fc.constant(0),
    })
    .filter((p) => p.maxAttempts !== null || p.maxRetryDays !== null)
    .map(({ zone: _zone, ...p }) => RetryPolicySchema.parse(p));
  const zoneArb = fc.constantFrom(
    NY,
    'America/Los_Angeles',
    'Europe/Paris',
    'Asia/Kolkata',
    'Pacific/Auckland',
  );

  it('a chain of retries respects the gap, the stop conditions and the per-day counts', () => {
    fc.assert(
      fc.property(
        policyArb,
        zoneArb,
        fc.infiniteStream(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }),
        (policy, zone, randoms, errors) => {
          const random = () => randoms.next().value;
          let h = EMPTY_HISTORY;
          let at = local('2025-03-01T12:00', zone);
          const first = at;
          for (const technical of errors) {
            h = recordAttempt(h, at, technical);
            const d = nextRetry(policy, h, at, zone, random);
            if (d.kind === 'stop') {
              // a stop names a condition that really holds
              if (d.reason === 'CONSECUTIVE_ERRORS')
                expect(h.consecutiveTechnicalErrors).toBeGreaterThanOrEqual(2);
              if (d.reason === 'MAX_ATTEMPTS') expect(h.attempts).toBeGreaterThanOrEqual(policy.maxAttempts!);
              if (d.reason === 'MAX_RETRY_DAYS') expect(policy.maxRetryDays).not.toBeNull();
              return;
            }
            expect(d.notBefore).toBeGreaterThanOrEqual(at + policy.minGapMinutes * MIN);
            expect(stopReasonAt(policy, h, d.notBefore, zone)).toBeNull();
            if (policy.maxAttempts !== null) expect(h.attempts).toBeLessThan(policy.maxAttempts);
            if (policy.maxRetryDays !== null)
              expect(calendarDaysBetween(first, d.notBefore, zone)).toBeLessThanOrEqual(policy.maxRetryDays);
            expect(h.consecutiveTechnicalErrors).toBeLessThan(2);
            at = d.notBefore;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('smart calling never exceeds the attempts per day of the phase', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<SmartIntensity>('aggressive', 'moderate', 'conservative'),
        zoneArb,
        fc.integer({ min: 0, max: 2 ** 31 }),
        (intensity, zone, seed) => {
          const random = seeded(seed);
          const policy = smart(intensity, { minGapMinutes: 1 });
          let h = EMPTY_HISTORY;
          let at = local('2025-10-20T17:45', zone);
          const first = at;
          const perDay = new Map<number, number>();
          for (let i = 0; i < 40; i++) {
            h = recordAttempt(h, at, false);
            const day = dayNumber(first, at, zone);
            perDay.set(day, (perDay.get(day) ?? 0) + 1);
            expect(perDay.get(day)).toBeLessThanOrEqual(smartPhaseFor(intensity, day).attemptsPerDay);
            const d = nextRetry(policy, h, at, zone, random);
            if (d.kind !== 'retry') throw new Error('smart calling with no day limit should keep going');
            at = d.notBefore;
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
