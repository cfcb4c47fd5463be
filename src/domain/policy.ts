/**
 * The dialing policy: the one place the engine asks "may I call this contact now, and if not, when?" and
 * "what happens to this contact after this call?". It combines the outcome, the retry strategy, the stop
 * conditions, the minimum gap, the legal per-24 h cap and the calling window. Each of those constraints is
 * monotone (once satisfied at a time, satisfied at every later time, except the stop conditions, which are
 * checked last at the time finally picked), so pushing a time forward through them in turn is enough.
 */
import { legalRuleFor } from './legal.js';
import type { Classification, PermanentFailureReason } from './outcome.js';
import { nextRetry, stopReasonAt } from './retry.js';
import type { AttemptHistory, StopReason } from './retry.js';
import type { RetryPolicy } from './settings.js';
import { checkCallable, nextOpening, resolveZones, scheduleInWindow } from './windows.js';
import type { CalleeLocation, CallingRules, ClosedReason } from './windows.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export interface LeadContext {
  rules: CallingRules;
  location: CalleeLocation;
  policy: RetryPolicy;
  /**
   * Counted attempts so far. After a call, include that call (`recordAttempt`) before `decideAfterAttempt`,
   * except after an account error, which is not an attempt.
   */
  history: AttemptHistory;
  doNotCall: boolean;
  /** A call to this contact is being placed or is live. */
  liveAttempt: boolean;
}

export type RefusalReason = 'DNC' | 'LIVE_ATTEMPT' | StopReason | 'MIN_GAP' | 'DAILY_CAP' | ClosedReason;

/**
 * `nextAt`: the earliest time the answer could become yes; null when it never will (DNC, a stop condition,
 * no opening ahead) or when time alone does not decide it (a live attempt ends when its call ends).
 */
export type Refusal = { ok: false; reason: RefusalReason; nextAt: number | null };

export type FailedReason = PermanentFailureReason | StopReason | 'NO_CALLABLE_TIME';

export type NextLeadState =
  | { state: 'reached' }
  | { state: 'retry'; at: number; reason: string }
  | { state: 'failed'; reason: FailedReason }
  | { state: 'dnc' }
  /** Account error: the same contact is retried later, the attempt is not counted, the campaign must pause. */
  | { state: 'paused-retry'; at: number; alert: string; code: number };

/** The zone that counts calendar days for the retry strategy and stop conditions: the lead's first zone. */
export function retryZone(lead: LeadContext): string {
  return resolveZones(lead.location, lead.rules.fallbackZone).zones[0] ?? lead.rules.fallbackZone;
}

/** Most attempts to this callee in any 24 h, from the law of the callee's jurisdiction (Florida: 3). */
export function dailyCap(lead: LeadContext): number | undefined {
  return legalRuleFor(lead.location.country, lead.location.subdivision).maxCallsPer24h;
}

function attemptTimes(history: AttemptHistory): number[] {
  const times = new Set(history.recentAttemptTimes);
  if (history.lastAttemptAt !== null) times.add(history.lastAttemptAt);
  return [...times].sort((a, b) => b - a); // most recent first
}

/** The earliest time >= `at` at which one more attempt keeps every rolling 24 h at or under the cap. */
function dailyCapEarliest(at: number, lead: LeadContext): number {
  const cap = dailyCap(lead);
  if (cap === undefined) return at;
  const nthMostRecent = attemptTimes(lead.history)[cap - 1];
  return nthMostRecent === undefined ? at : Math.max(at, nthMostRecent + DAY_MS);
}

function minGapEarliest(at: number, lead: LeadContext): number {
  const last = lead.history.lastAttemptAt;
  return last === null ? at : Math.max(at, last + lead.policy.minGapMinutes * MINUTE_MS);
}

/** The earliest time >= `at` that meets the minimum gap and the daily cap (the window is not applied). */
function earliestAllowed(at: number, lead: LeadContext): number {
  return dailyCapEarliest(minGapEarliest(at, lead), lead);
}

/** The earliest callable time >= `at` that no stop condition forbids, or null. */
function earliestCallable(at: number, lead: LeadContext): number | null {
  const opening = nextOpening(earliestAllowed(at, lead), lead.rules, lead.location);
  if (opening === null) return null;
  return stopReasonAt(lead.policy, lead.history, opening, retryZone(lead)) === null ? opening : null;
}

/** May the engine dial this contact at `now`? If not, why, and from when it could. */
export function mayCallNow(now: number, lead: LeadContext): { ok: true } | Refusal {
  if (lead.doNotCall) return { ok: false, reason: 'DNC', nextAt: null };
  if (lead.liveAttempt) return { ok: false, reason: 'LIVE_ATTEMPT', nextAt: null };
  const stop = stopReasonAt(lead.policy, lead.history, now, retryZone(lead));
  if (stop !== null) return { ok: false, reason: stop, nextAt: null };
  if (minGapEarliest(now, lead) > now) {
    return { ok: false, reason: 'MIN_GAP', nextAt: earliestCallable(now, lead) };
  }
  if (dailyCapEarliest(now, lead) > now) {
    return { ok: false, reason: 'DAILY_CAP', nextAt: earliestCallable(now, lead) };
  }
  const openness = checkCallable(now, lead.rules, lead.location);
  if (!openness.open) return { ok: false, reason: openness.reason, nextAt: earliestCallable(now, lead) };
  return { ok: true };
}

/**
 * Places `from` at the first allowed, callable time (with the window's random spread) and re-checks the stop
 * conditions there. Returns the time or why there is none.
 */
function placeInWindow(
  from: number,
  lead: LeadContext,
  random: () => number,
): { at: number } | { failed: FailedReason } {
  const at = scheduleInWindow(earliestAllowed(from, lead), lead.rules, lead.location, random);
  if (at === null) return { failed: 'NO_CALLABLE_TIME' };
  const stop = stopReasonAt(lead.policy, lead.history, at, retryZone(lead));
  return stop === null ? { at } : { failed: stop };
}

/** When to dial a newly enrolled contact; null means never (skip it as NO_CALLABLE_TIME). Never for DNC. */
export function firstDialTime(now: number, lead: LeadContext, random: () => number): number | null {
  if (lead.doNotCall) return null;
  const placed = placeInWindow(now, lead, random);
  return 'at' in placed ? placed.at : null;
}

/**
 * The contact's next state after a classified call. A retry follows the strategy (retry.ts), then the minimum
 * gap, the daily cap and the window; a "call me later" skips the strategy but nothing else: never DNC, never
 * outside the window or legal hours, never past a stop condition.
 */
export function decideAfterAttempt(
  now: number,
  c: Classification,
  lead: LeadContext,
  random: () => number,
): NextLeadState {
  const effect = c.effect;
  if (effect.kind === 'reached') return { state: 'reached' };
  if (effect.kind === 'dnc' || lead.doNotCall) return { state: 'dnc' };
  if (effect.kind === 'permanent-failure') return { state: 'failed', reason: effect.reason };

  let from: number;
  if (effect.kind === 'retry') {
    const decision = nextRetry(lead.policy, lead.history, now, retryZone(lead), random);
    if (decision.kind === 'stop') return { state: 'failed', reason: decision.reason };
    from = decision.notBefore;
  } else if (effect.kind === 'callback') {
    from = Math.max(effect.at, now);
  } else {
    from = now; // pause-campaign: the contact did nothing wrong; it waits for the campaign to resume
  }

  const placed = placeInWindow(from, lead, random);
  if ('failed' in placed) return { state: 'failed', reason: placed.failed };
  if (effect.kind === 'pause-campaign') {
    return { state: 'paused-retry', at: placed.at, alert: effect.alert, code: effect.code };
  }
  return { state: 'retry', at: placed.at, reason: effect.kind === 'callback' ? 'CALLBACK' : c.category };
}
