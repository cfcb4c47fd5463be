import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { ANSWERED_BY, FINAL_CALL_STATUSES } from '../../src/domain/call.js';
import { legalHoursOn, legalRuleFor } from '../../src/domain/legal.js';
import { applyWrapUp, classifyOutcome } from '../../src/domain/outcome.js';
import type { CallResult, Classification } from '../../src/domain/outcome.js';
import { decideAfterAttempt, firstDialTime, mayCallNow } from '../../src/domain/policy.js';
import type { LeadContext } from '../../src/domain/policy.js';
import { EMPTY_HISTORY, calendarDaysBetween, recordAttempt } from '../../src/domain/retry.js';
import type { AttemptHistory } from '../../src/domain/retry.js';
import {
  DEFAULT_CALLING_WINDOWS,
  RetryPolicySchema,
  WEEKDAYS,
  minutesOfDay,
} from '../../src/domain/settings.js';
import type { CallingWindows, RetryPolicy } from '../../src/domain/settings.js';
import { checkCallable, resolveZones } from '../../src/domain/windows.js';
import type { CalleeLocation, CallingRules } from '../../src/domain/windows.js';

const NY = 'America/New_York';
const MIN = 60_000;
const HOUR = 60 * MIN;
const local = (iso: string, zone = NY) => DateTime.fromISO(iso, { zone }).toMillis();
/** Tuesday 3 June 2025. */
const TUE_10 = local('2025-06-03T10:00');

const rules: CallingRules = { windows: DEFAULT_CALLING_WINDOWS, noCallDates: [], fallbackZone: NY };
const FLORIDA: CalleeLocation = { candidateZones: [NY], country: 'US', subdivision: 'US-FL' };
const NEW_YORK: CalleeLocation = { candidateZones: [NY], country: 'US', subdivision: 'US-NY' };
const policy = (p: Partial<RetryPolicy> = {}): RetryPolicy =>
  RetryPolicySchema.parse({
    strategy: 'intervals',
    delaysMinutes: [60],
    maxAttempts: 10,
    maxRetryDays: 7,
    ...p,
  });

const lead = (over: Partial<LeadContext> = {}): LeadContext => ({
  rules,
  location: NEW_YORK,
  policy: policy(),
  history: EMPTY_HISTORY,
  doNotCall: false,
  liveAttempt: false,
  ...over,
});
const historyAt = (...times: number[]): AttemptHistory =>
  times.reduce<AttemptHistory>((h, t) => recordAttempt(h, t, false), EMPTY_HISTORY);
const classify = (r: Partial<CallResult> & Pick<CallResult, 'status'>): Classification =>
  classifyOutcome({ flow: 'connect', priorLikelyInvalid: 0, ...r });
const half = () => 0.5;

describe('mayCallNow', () => {
  it('allows a fresh contact inside the window', () => {
    expect(mayCallNow(TUE_10, lead())).toEqual({ ok: true });
  });

  it('refuses DNC and live attempts', () => {
    expect(mayCallNow(TUE_10, lead({ doNotCall: true }))).toEqual({ ok: false, reason: 'DNC', nextAt: null });
    expect(mayCallNow(TUE_10, lead({ liveAttempt: true }))).toEqual({
      ok: false,
      reason: 'LIVE_ATTEMPT',
      nextAt: null,
    });
  });

  it('refuses once a stop condition is reached, for good', () => {
    const h = historyAt(TUE_10 - 3 * HOUR, TUE_10 - 2 * HOUR);
    expect(mayCallNow(TUE_10, lead({ policy: policy({ maxAttempts: 2 }), history: h }))).toEqual({
      ok: false,
      reason: 'MAX_ATTEMPTS',
      nextAt: null,
    });
    const old = historyAt(local('2025-05-20T10:00'));
    expect(mayCallNow(TUE_10, lead({ history: old }))).toEqual({
      ok: false,
      reason: 'MAX_RETRY_DAYS',
      nextAt: null,
    });
    const errors = recordAttempt(
      recordAttempt(EMPTY_HISTORY, TUE_10 - 3 * HOUR, true),
      TUE_10 - 2 * HOUR,
      true,
    );
    expect(mayCallNow(TUE_10, lead({ history: errors }))).toMatchObject({ reason: 'CONSECUTIVE_ERRORS' });
  });

  it('refuses inside the minimum gap, and says when the gap ends', () => {
    const l = lead({ history: historyAt(TUE_10 - 10 * MIN), policy: policy({ minGapMinutes: 30 }) });
    expect(mayCallNow(TUE_10, l)).toEqual({ ok: false, reason: 'MIN_GAP', nextAt: TUE_10 + 20 * MIN });
  });

  it('refuses a 4th call within 24 h to a Florida number, but not to a New York one', () => {
    const h = historyAt(TUE_10 - 23 * HOUR, TUE_10 - 22 * HOUR, TUE_10 - HOUR);
    const fl = mayCallNow(TUE_10, lead({ location: FLORIDA, history: h }));
    expect(fl).toEqual({ ok: false, reason: 'DAILY_CAP', nextAt: TUE_10 + HOUR });
    expect(mayCallNow(TUE_10, lead({ location: NEW_YORK, history: h }))).toEqual({ ok: true });
  });

  it('refuses outside the window, with the next opening', () => {
    expect(mayCallNow(local('2025-06-03T19:00'), lead())).toEqual({
      ok: false,
      reason: 'OUTSIDE_WINDOW',
      nextAt: local('2025-06-04T09:00'),
    });
    expect(mayCallNow(local('2025-06-08T12:00'), lead())).toEqual({
      ok: false,
      reason: 'DAY_DISABLED',
      nextAt: local('2025-06-09T09:00'),
    });
  });

  it('never allows a window wider than the legal hours', () => {
    const wide: CallingWindows = Object.fromEntries(
      WEEKDAYS.map((d) => [d, { enabled: true, start: '06:00', end: '23:00' }]),
    ) as CallingWindows;
    const l = lead({ rules: { ...rules, windows: wide }, location: FLORIDA });
    expect(mayCallNow(local('2025-06-03T07:30'), l)).toMatchObject({
      ok: false,
      reason: 'LEGAL_HOURS',
      nextAt: local('2025-06-03T08:00'),
    });
    expect(mayCallNow(local('2025-06-03T20:30'), l)).toMatchObject({ ok: false, reason: 'LEGAL_HOURS' });
    expect(mayCallNow(local('2025-06-03T19:30'), l)).toEqual({ ok: true });
  });

  it('enforces the law where the callee may be, not only in a stale CRM zone', () => {
    // New York in the CRM, a Los Angeles (310) number: 08:30 New York is 05:30 Los Angeles.
    const wide: CallingWindows = Object.fromEntries(
      WEEKDAYS.map((d) => [d, { enabled: true, start: '06:00', end: '23:00' }]),
    ) as CallingWindows;
    const stale: CalleeLocation = {
      contactZone: NY,
      candidateZones: ['America/Los_Angeles'],
      country: 'US',
      subdivision: 'US-CA',
    };
    const l = lead({ rules: { ...rules, windows: wide }, location: stale });
    const laEight = local('2025-06-03T08:00', 'America/Los_Angeles');
    expect(mayCallNow(local('2025-06-03T08:30'), l)).toEqual({
      ok: false,
      reason: 'LEGAL_HOURS',
      nextAt: laEight,
    });
    expect(mayCallNow(laEight, l)).toEqual({ ok: true });
    expect(firstDialTime(local('2025-06-03T08:30'), l, () => 0)).toBe(laEight);
    // A callback asked for at 08:30 New York waits for 08:00 in Los Angeles too (plus the 0-15 min spread).
    const callback = applyWrapUp(classify({ status: 'completed', answeredBy: 'human', durationSec: 60 }), {
      callbackAt: local('2025-06-03T08:30'),
    });
    const r = decideAfterAttempt(local('2025-06-02T17:00'), callback, l, half);
    expect(r).toMatchObject({ state: 'retry', reason: 'CALLBACK' });
    expect(r.state === 'retry' && r.at).toBeGreaterThanOrEqual(laEight);
    expect(r.state === 'retry' && r.at).toBeLessThanOrEqual(laEight + 15 * MIN);
  });

  it('says never when the next opening is past the retry-day limit', () => {
    // Saturday evening, first attempt Saturday morning, maxRetryDays 1: Sunday is closed, Monday is day 3
    const sat = local('2025-06-07T10:30');
    const l = lead({ history: historyAt(sat), policy: policy({ maxRetryDays: 1 }) });
    expect(mayCallNow(local('2025-06-07T15:00'), l)).toEqual({
      ok: false,
      reason: 'OUTSIDE_WINDOW',
      nextAt: null,
    });
  });
});

describe('firstDialTime', () => {
  it('is now when callable', () => {
    expect(firstDialTime(TUE_10, lead(), half)).toBe(TUE_10);
  });
  it('is the next opening plus at most 15 min otherwise', () => {
    const at = firstDialTime(local('2025-06-03T22:00'), lead(), half)!;
    expect(at).toBeGreaterThanOrEqual(local('2025-06-04T09:00'));
    expect(at).toBeLessThanOrEqual(local('2025-06-04T09:15'));
  });
  it('is null when the contact can never be called, or is DNC', () => {
    const closed = Object.fromEntries(
      WEEKDAYS.map((d) => [d, { enabled: false, start: '09:00', end: '18:00' }]),
    ) as CallingWindows;
    expect(firstDialTime(TUE_10, lead({ rules: { ...rules, windows: closed } }), half)).toBeNull();
    expect(firstDialTime(TUE_10, lead({ doNotCall: true }), half)).toBeNull();
  });
});

describe('decideAfterAttempt', () => {
  const after = (c: Classification, over: Partial<LeadContext> = {}, now = TUE_10) =>
    decideAfterAttempt(now, c, lead({ history: historyAt(now), ...over }), half);

  it('final outcomes', () => {
    expect(after(classify({ status: 'completed', answeredBy: 'human', durationSec: 40 }))).toEqual({
      state: 'reached',
    });
    expect(after(classify({ status: 'failed', errorCode: 21211 }))).toEqual({
      state: 'failed',
      reason: 'INVALID_NUMBER',
    });
    const dnc = applyWrapUp(classify({ status: 'completed', durationSec: 40 }), { doNotCall: true });
    expect(after(dnc)).toEqual({ state: 'dnc' });
  });

  it('a contact flagged DNC meanwhile is never retried', () => {
    expect(after(classify({ status: 'busy' }), { doNotCall: true })).toEqual({ state: 'dnc' });
  });

  it('retries by the strategy, inside the window', () => {
    expect(after(classify({ status: 'no-answer' }))).toEqual({
      state: 'retry',
      at: TUE_10 + HOUR,
      reason: 'NO_ANSWER',
    });
    const late = local('2025-06-03T17:30');
    const r = after(classify({ status: 'busy' }), {}, late);
    expect(r).toMatchObject({ state: 'retry', reason: 'BUSY' });
    if (r.state === 'retry') {
      expect(r.at).toBeGreaterThanOrEqual(local('2025-06-04T09:00'));
      expect(r.at).toBeLessThanOrEqual(local('2025-06-04T09:15'));
    }
  });

  it('stops by the stop conditions', () => {
    expect(after(classify({ status: 'busy' }), { policy: policy({ maxAttempts: 1 }) })).toEqual({
      state: 'failed',
      reason: 'MAX_ATTEMPTS',
    });
    const twoErrors = recordAttempt(recordAttempt(EMPTY_HISTORY, TUE_10 - HOUR, true), TUE_10, true);
    expect(
      decideAfterAttempt(TUE_10, classify({ status: 'failed' }), lead({ history: twoErrors }), half),
    ).toEqual({
      state: 'failed',
      reason: 'CONSECUTIVE_ERRORS',
    });
    // Friday afternoon, 6th day: the next window (Saturday) is day 7 and allowed; with maxRetryDays 5 it is not
    const fri = local('2025-06-06T17:30');
    const h = historyAt(local('2025-06-01T10:00'), fri);
    const d = decideAfterAttempt(
      fri,
      classify({ status: 'busy' }),
      lead({ history: h, policy: policy({ maxRetryDays: 5 }) }),
      half,
    );
    expect(d).toEqual({ state: 'failed', reason: 'MAX_RETRY_DAYS' });
  });

  it('a callback goes to the asked time, pushed into the window', () => {
    const base = classify({ status: 'completed', answeredBy: 'human', durationSec: 60 });
    const tomorrow11 = local('2025-06-04T11:00');
    expect(after(applyWrapUp(base, { callbackAt: tomorrow11 }))).toEqual({
      state: 'retry',
      at: tomorrow11,
      reason: 'CALLBACK',
    });
    // asked for 21:00 Friday: the window is closed then, so Saturday's opening (10:00) plus the spread
    const r = after(applyWrapUp(base, { callbackAt: local('2025-06-06T21:00') }));
    expect(r.state === 'retry' && r.at).toBeGreaterThanOrEqual(local('2025-06-07T10:00'));
    expect(r.state === 'retry' && r.at).toBeLessThanOrEqual(local('2025-06-07T10:15'));
    // asked for "in 5 minutes": the minimum gap still applies
    expect(after(applyWrapUp(base, { callbackAt: TUE_10 + 5 * MIN }))).toEqual({
      state: 'retry',
      at: TUE_10 + 30 * MIN,
      reason: 'CALLBACK',
    });
  });

  it('a callback never breaks the Florida cap', () => {
    const h = historyAt(TUE_10 - 2 * HOUR, TUE_10 - HOUR, TUE_10);
    const c = applyWrapUp(classify({ status: 'completed', durationSec: 60 }), {
      callbackAt: TUE_10 + 2 * HOUR,
    });
    const r = decideAfterAttempt(TUE_10, c, lead({ location: FLORIDA, history: h }), half);
    // the 3rd most recent call was Tuesday 08:00, so 08:00 Wednesday at the earliest; the window opens at 09:00
    expect(r).toMatchObject({ state: 'retry', reason: 'CALLBACK' });
    expect(r.state === 'retry' && r.at).toBeGreaterThanOrEqual(local('2025-06-04T09:00'));
    expect(r.state === 'retry' && r.at).toBeLessThanOrEqual(local('2025-06-04T09:15'));
  });

  it('an account error keeps the contact for later and carries the alert', () => {
    const r = decideAfterAttempt(TUE_10, classify({ status: 'failed', errorCode: 21210 }), lead(), half);
    expect(r).toEqual({
      state: 'paused-retry',
      at: TUE_10,
      alert: expect.stringContaining('21210'),
      code: 21210,
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Simulation: random outcomes driven through the façade, checked against the invariants directly.
// ---------------------------------------------------------------------------------------------------------

const LOCATIONS: CalleeLocation[] = [
  FLORIDA,
  { candidateZones: [NY, 'America/Chicago'], country: 'US', subdivision: 'US-FL' }, // panhandle: two zones
  { candidateZones: ['America/Chicago'], country: 'US', subdivision: 'US-OK' },
  NEW_YORK,
  { candidateZones: ['America/Los_Angeles'], country: 'US', subdivision: 'US-CA' },
  { candidateZones: ['America/Toronto'], country: 'CA', subdivision: 'CA-ON' },
  { contactZone: 'Europe/Paris', candidateZones: [], country: 'FR' },
  // A stale CRM zone: New York on a Los Angeles number. The window is New York's, the law both zones'.
  { contactZone: NY, candidateZones: ['America/Los_Angeles'], country: 'US', subdivision: 'US-CA' },
];

/**
 * Independent window check: local time is inside the day's window in every zone the window is read in, and
 * inside the legal hours in the contact's zone and every candidate zone of the number (where the callee may be).
 */
function insideWindowAndLegalHours(at: number, r: CallingRules, loc: CalleeLocation): boolean {
  const legal = legalRuleFor(loc.country, loc.subdivision);
  const everywhere = [loc.contactZone, ...loc.candidateZones].filter(
    (zone): zone is string => zone !== undefined && DateTime.now().setZone(zone).isValid,
  );
  const legalHere = (everywhere.length ? everywhere : [r.fallbackZone]).every((zone) => {
    const t = DateTime.fromMillis(at, { zone });
    const minute = t.hour * 60 + t.minute;
    const hours = legalHoursOn(legal, t.weekday);
    return minute >= minutesOfDay(hours.start) && minute < minutesOfDay(hours.end);
  });
  return (
    legalHere &&
    resolveZones(loc, r.fallbackZone).zones.every((zone) => {
      const t = DateTime.fromMillis(at, { zone });
      const w = r.windows[WEEKDAYS[t.weekday - 1]!];
      const minute = t.hour * 60 + t.minute;
      return (
        w.enabled &&
        minute >= minutesOfDay(w.start) &&
        minute < minutesOfDay(w.end) &&
        !r.noCallDates.some((d) => d.date === t.toISODate())
      );
    })
  );
}

const callResultArb: fc.Arbitrary<CallResult> = fc.record(
  {
    status: fc.constantFrom(...FINAL_CALL_STATUSES),
    answeredBy: fc.constantFrom(...ANSWERED_BY),
    errorCode: fc.constantFrom(21211, 13224, 21210, 31005, 30008),
    sipResponseCode: fc.constantFrom(404, 486, 603, 503),
    durationSec: fc.integer({ min: 0, max: 600 }),
    flow: fc.constantFrom('connect', 'reminder', 'message', 'click-to-call', 'safe-harbor' as const),
    digits: fc.constantFrom('1', '2', '3', '9', ''),
    voicemailDropped: fc.boolean(),
    priorLikelyInvalid: fc.constant(0),
  },
  { requiredKeys: ['status', 'flow', 'priorLikelyInvalid'] },
);

/** Mostly unanswered calls, so sequences run long enough to meet every limit. */
const stepArb = fc.record({
  result: fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom<CallResult>(
        { status: 'no-answer', flow: 'connect', priorLikelyInvalid: 0 },
        { status: 'busy', flow: 'connect', priorLikelyInvalid: 0 },
      ),
    },
    { weight: 3, arbitrary: callResultArb },
  ),
  callbackInMinutes: fc.option(fc.integer({ min: 0, max: 4 * 24 * 60 }), { freq: 5 }),
});

const policyArb: fc.Arbitrary<RetryPolicy> = fc
  .record({
    strategy: fc.constantFrom('smart', 'intervals'),
    intensity: fc.constantFrom('aggressive', 'moderate', 'conservative'),
    delaysMinutes: fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 5 }),
    maxAttempts: fc.option(fc.integer({ min: 1, max: 30 }), { freq: 4 }),
    maxRetryDays: fc.option(fc.integer({ min: 0, max: 20 }), { freq: 4 }),
    minGapMinutes: fc.integer({ min: 1, max: 240 }),
  })
  .filter((p) => p.maxAttempts !== null || p.maxRetryDays !== null)
  .map((p) => RetryPolicySchema.parse(p));

const seeded = (seed: number) => {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
};

describe('decideAfterAttempt: simulated campaigns never break the rules', () => {
  it('max attempts, max retry days, min gap, the 24 h cap, the window and DNC all hold', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.constantFrom(...LOCATIONS),
        fc.integer({ min: 0, max: 60 * 24 * 14 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.array(stepArb, { minLength: 1, maxLength: 45 }),
        (retryPolicy, location, startOffsetMin, seed, steps) => {
          const random = seeded(seed);
          const start = local('2025-03-01T00:00') + startOffsetMin * MIN; // spans the March DST change
          const zone = resolveZones(location, rules.fallbackZone).zones[0]!;
          const cap = legalRuleFor(location.country, location.subdivision).maxCallsPer24h;
          let l: LeadContext = lead({ location, policy: retryPolicy });
          const attempts: number[] = [];
          let at = firstDialTime(start, l, random);
          for (const step of steps) {
            if (at === null) return;
            // the façade agrees the time is allowed, and so does an independent check of every rule
            expect(mayCallNow(at, l)).toEqual({ ok: true });
            expect(checkCallable(at, rules, location).open).toBe(true);
            expect(insideWindowAndLegalHours(at, rules, location)).toBe(true);
            if (retryPolicy.maxAttempts !== null)
              expect(attempts.length).toBeLessThan(retryPolicy.maxAttempts);
            if (retryPolicy.maxRetryDays !== null && attempts.length > 0) {
              expect(calendarDaysBetween(attempts[0]!, at, zone)).toBeLessThanOrEqual(
                retryPolicy.maxRetryDays,
              );
            }
            if (attempts.length > 0)
              expect(at - attempts.at(-1)!).toBeGreaterThanOrEqual(retryPolicy.minGapMinutes * MIN);
            if (cap !== undefined) {
              expect(attempts.filter((t) => t > at! - 24 * HOUR).length + 1).toBeLessThanOrEqual(cap);
            }

            let c = classifyOutcome(step.result);
            const callEnd = at + (step.result.durationSec ?? 0) * 1000;
            if (step.callbackInMinutes !== null && c.effect.kind !== 'pause-campaign') {
              c = applyWrapUp(c, { callbackAt: callEnd + step.callbackInMinutes * MIN });
            }
            if (c.effect.kind !== 'pause-campaign') {
              attempts.push(at);
              const technical = c.effect.kind === 'retry' && c.effect.technicalError;
              l = { ...l, history: recordAttempt(l.history, at, technical) };
            }
            const next = decideAfterAttempt(callEnd, c, l, random);
            if (next.state === 'retry' || next.state === 'paused-retry') {
              expect(next.at).toBeGreaterThanOrEqual(callEnd);
              at = next.at;
            } else {
              expect(['reached', 'failed', 'dnc']).toContain(next.state);
              if (c.effect.kind === 'retry' || c.effect.kind === 'callback')
                expect(next.state).toBe('failed');
              return;
            }
          }
        },
      ),
      { numRuns: 250 },
    );
  });
});
