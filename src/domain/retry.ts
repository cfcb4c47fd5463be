/**
 * Retry strategies (seed 003): Smart Calling at three intensities, or Defined Intervals; plus the stop
 * conditions (max attempts, max retry days, two consecutive technical errors) and the minimum gap between
 * attempts. Times are epoch ms; "day N" is the Nth calendar day in the contact's zone, the first attempt's
 * day being day 1. The calling window is not applied here: the policy façade pushes `notBefore` into it.
 */
import { DateTime } from 'luxon';
import type { RetryPolicy, SmartIntensity } from './settings.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** How far back `recentAttemptTimes` reaches: enough for any same-day and any 24 h count. */
export const RECENT_ATTEMPTS_SPAN_MS = 48 * HOUR_MS;
/** Two technical errors in a row end the contact: the line or the number is broken, not busy. */
export const MAX_CONSECUTIVE_TECHNICAL_ERRORS = 2;

export interface AttemptHistory {
  /** Attempts made so far, including the one just finished. */
  attempts: number;
  firstAttemptAt: number | null;
  lastAttemptAt: number | null;
  consecutiveTechnicalErrors: number;
  /** Epoch ms of the attempts in the last 48 h (for per-day and per-24 h counts). */
  recentAttemptTimes: readonly number[];
}

export const EMPTY_HISTORY: AttemptHistory = {
  attempts: 0,
  firstAttemptAt: null,
  lastAttemptAt: null,
  consecutiveTechnicalErrors: 0,
  recentAttemptTimes: [],
};

/**
 * The history after one more counted attempt placed at `attemptAt`. `technicalError` continues the run of
 * technical errors; anything else ends it. Account errors (pause-campaign) are not attempts: do not record them.
 */
export function recordAttempt(
  history: AttemptHistory,
  attemptAt: number,
  technicalError: boolean,
): AttemptHistory {
  return {
    attempts: history.attempts + 1,
    firstAttemptAt: history.firstAttemptAt ?? attemptAt,
    lastAttemptAt: Math.max(history.lastAttemptAt ?? attemptAt, attemptAt),
    consecutiveTechnicalErrors: technicalError ? history.consecutiveTechnicalErrors + 1 : 0,
    recentAttemptTimes: [...history.recentAttemptTimes, attemptAt]
      .filter((t) => t > attemptAt - RECENT_ATTEMPTS_SPAN_MS)
      .sort((a, b) => a - b),
  };
}

export type StopReason = 'MAX_ATTEMPTS' | 'MAX_RETRY_DAYS' | 'CONSECUTIVE_ERRORS';
export type RetryDecision = { kind: 'retry'; notBefore: number } | { kind: 'stop'; reason: StopReason };

/** One phase of a Smart Calling intensity: from `fromDay` to `toDay` (inclusive, null = for ever). */
export interface SmartPhase {
  fromDay: number;
  toDay: number | null;
  /** At most this many attempts on one calendar day. */
  attemptsPerDay: number;
  /** Gap between two attempts on the same day, minutes, drawn uniformly in [min, max]. */
  sameDayGapMinutes: readonly [number, number];
  /** Calendar days from one attempt day to the next. */
  everyDays: number;
  /** Local time of day (minutes since midnight) of a new day's first attempt, drawn uniformly in [from, to). */
  dayStartMinutes: readonly [number, number];
}

const hm = (h: number, m = 0) => h * 60 + m;
const MORNING: readonly [number, number] = [hm(9), hm(10, 30)];
const DAYTIME: readonly [number, number] = [hm(10), hm(16)];

/**
 * Smart Calling, per intensity. Two calls a day = a morning call and, 4-6 h later, an afternoon/evening
 * call; one call a day lands at a random daytime hour so the contact is tried at different times of day.
 */
export const SMART_INTENSITY_TABLE: Readonly<Record<SmartIntensity, readonly SmartPhase[]>> = {
  aggressive: [
    {
      fromDay: 1,
      toDay: 1,
      attemptsPerDay: 3,
      sameDayGapMinutes: [50, 70],
      everyDays: 1,
      dayStartMinutes: MORNING,
    },
    {
      fromDay: 2,
      toDay: 10,
      attemptsPerDay: 2,
      sameDayGapMinutes: [240, 360],
      everyDays: 1,
      dayStartMinutes: MORNING,
    },
    {
      fromDay: 11,
      toDay: null,
      attemptsPerDay: 1,
      sameDayGapMinutes: [0, 0],
      everyDays: 1,
      dayStartMinutes: DAYTIME,
    },
  ],
  moderate: [
    {
      fromDay: 1,
      toDay: 1,
      attemptsPerDay: 2,
      sameDayGapMinutes: [150, 210],
      everyDays: 1,
      dayStartMinutes: MORNING,
    },
    {
      fromDay: 2,
      toDay: 5,
      attemptsPerDay: 2,
      sameDayGapMinutes: [240, 360],
      everyDays: 1,
      dayStartMinutes: MORNING,
    },
    {
      fromDay: 6,
      toDay: 14,
      attemptsPerDay: 1,
      sameDayGapMinutes: [0, 0],
      everyDays: 1,
      dayStartMinutes: DAYTIME,
    },
    {
      fromDay: 15,
      toDay: null,
      attemptsPerDay: 1,
      sameDayGapMinutes: [0, 0],
      everyDays: 2,
      dayStartMinutes: DAYTIME,
    },
  ],
  conservative: [
    {
      fromDay: 1,
      toDay: 3,
      attemptsPerDay: 1,
      sameDayGapMinutes: [0, 0],
      everyDays: 1,
      dayStartMinutes: DAYTIME,
    },
    {
      fromDay: 4,
      toDay: 10,
      attemptsPerDay: 1,
      sameDayGapMinutes: [0, 0],
      everyDays: 2,
      dayStartMinutes: DAYTIME,
    },
    {
      fromDay: 11,
      toDay: null,
      attemptsPerDay: 1,
      sameDayGapMinutes: [0, 0],
      everyDays: 3,
      dayStartMinutes: DAYTIME,
    },
  ],
};

/** The phase that governs calendar day `day` (1-based) of an intensity. */
export function smartPhaseFor(intensity: SmartIntensity, day: number): SmartPhase {
  const phases = SMART_INTENSITY_TABLE[intensity];
  return phases.find((p) => day >= p.fromDay && (p.toDay === null || day <= p.toDay)) ?? phases.at(-1)!;
}

const localDay = (at: number, zone: string) => DateTime.fromMillis(at, { zone }).startOf('day');

/** Calendar days from `from`'s local date to `to`'s local date in `zone` (same day = 0). */
export function calendarDaysBetween(from: number, to: number, zone: string): number {
  return Math.round(localDay(to, zone).diff(localDay(from, zone), 'days').days);
}

/** Day number (1-based) of `at` since the first attempt, in the contact's zone. */
export function dayNumber(firstAttemptAt: number, at: number, zone: string): number {
  return calendarDaysBetween(firstAttemptAt, at, zone) + 1;
}

const uniform = (random: () => number, [lo, hi]: readonly [number, number]) => lo + random() * (hi - lo);

function smartNotBefore(
  intensity: SmartIntensity,
  first: number,
  last: number,
  recent: readonly number[],
  zone: string,
  random: () => number,
): number {
  const lastDay = dayNumber(first, last, zone);
  const phase = smartPhaseFor(intensity, lastDay);
  const lastLocal = localDay(last, zone);
  const attemptsThatDay = new Set([...recent, last].filter((t) => localDay(t, zone).equals(lastLocal))).size;
  if (attemptsThatDay < phase.attemptsPerDay) {
    const sameDay = last + Math.round(uniform(random, phase.sameDayGapMinutes) * MINUTE_MS);
    if (localDay(sameDay, zone).equals(lastLocal)) return sameDay;
  }
  // Next attempt day: the rhythm of the phase the following day belongs to (so a slower phase starts on time).
  const nextPhase = smartPhaseFor(intensity, lastDay + 1);
  const startMinute = Math.floor(uniform(random, nextPhase.dayStartMinutes));
  return lastLocal
    .plus({ days: nextPhase.everyDays })
    .set({ hour: Math.floor(startMinute / 60), minute: startMinute % 60 })
    .toMillis();
}

function intervalNotBefore(delaysMinutes: readonly number[], attempts: number, last: number): number {
  // delaysMinutes[i] is the delay after attempt i+1; past the end the last delay repeats.
  const index = Math.min(Math.max(attempts - 1, 0), delaysMinutes.length - 1);
  return last + delaysMinutes[index]! * MINUTE_MS;
}

/** Would one more attempt at `at` exceed a stop condition? Null when it is allowed. */
export function stopReasonAt(
  policy: RetryPolicy,
  history: AttemptHistory,
  at: number,
  zone: string,
): StopReason | null {
  if (history.consecutiveTechnicalErrors >= MAX_CONSECUTIVE_TECHNICAL_ERRORS) return 'CONSECUTIVE_ERRORS';
  if (policy.maxAttempts !== null && history.attempts >= policy.maxAttempts) return 'MAX_ATTEMPTS';
  if (
    policy.maxRetryDays !== null &&
    history.firstAttemptAt !== null &&
    calendarDaysBetween(history.firstAttemptAt, at, zone) > policy.maxRetryDays
  ) {
    return 'MAX_RETRY_DAYS';
  }
  return null;
}

/**
 * When the contact may be tried again after the attempt recorded last in `history`, or why it stops.
 * `notBefore` honours the strategy, the minimum gap and `now`; the caller pushes it into the calling window
 * and re-checks `stopReasonAt` at the time it finally picks.
 */
export function nextRetry(
  policy: RetryPolicy,
  history: AttemptHistory,
  now: number,
  zone: string,
  random: () => number,
): RetryDecision {
  const stopNow = stopReasonAt(policy, history, now, zone);
  if (stopNow !== null) return { kind: 'stop', reason: stopNow };
  const last = history.lastAttemptAt ?? now;
  const first = history.firstAttemptAt ?? last;
  const byStrategy =
    policy.strategy === 'smart'
      ? smartNotBefore(policy.intensity, first, last, history.recentAttemptTimes, zone, random)
      : intervalNotBefore(policy.delaysMinutes, history.attempts, last);
  const notBefore = Math.max(byStrategy, last + policy.minGapMinutes * MINUTE_MS, now);
  const stopThen = stopReasonAt(policy, history, notBefore, zone);
  return stopThen === null ? { kind: 'retry', notBefore } : { kind: 'stop', reason: stopThen };
}
