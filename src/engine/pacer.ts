/**
 * Pacing math, hand-written because no rate-limiter library does what a dialer needs at once: a smooth
 * calls-per-second schedule with no bursts (GCRA / virtual schedule that keeps its cadence when a worker is a
 * little late, so the achieved rate is exact), a hard sliding-window cap (at most ceil(cps) grants in any 1000 ms,
 * whatever the schedule did), and a concurrent-call cap whose slots are leases (a lost final callback cannot leak
 * a slot forever), all checked together at several levels (campaign, telephony account, caller ID) and committed
 * all-or-nothing. The Redis store runs the same rules in Lua (lua/claim.lua); this module is the reference and
 * the memory store's implementation.
 */

export const WINDOW_MS = 1000;
/**
 * Clocks tick in whole milliseconds: a grant less than 1 ms before its scheduled slot is on time. Without this,
 * a fast pace (interval < 1 ms) would get one grant per millisecond whatever its rate.
 */
export const SCHEDULE_TOLERANCE_MS = 1;
/**
 * The carrier reads its own clock a moment after our recorded send time (the next millisecond, at worst a
 * couple): a call's slot keeps this much more than WINDOW_MS from the call ceil(cps) sends earlier.
 */
export const GUARD_MS = 2;
/**
 * A call granted for dialing whose slot has passed but whose send is not recorded yet counts as sent now (it
 * can only go out now or later), for at most this long: past it, its worker is presumed dead and the call
 * counts at its slot, so a crashed worker's grant never holds the window for long.
 */
export const PENDING_MAX_MS = 5000;

export interface PaceLimits {
  callsPerSecond: number;
  maxConcurrent: number;
}

/**
 * One level's state. `grants` are the calls' places in the rate window, oldest first: the slot until the call
 * is sent, then its recorded send time; `live` maps attempt id to lease expiry.
 */
export interface PacerLevelState {
  /** Theoretical arrival time of the next grant (GCRA), null before the first. */
  tat: number | null;
  grants: number[];
  /** The attempt of each entry of `grants` (same order). */
  grantIds: string[];
  live: Map<string, number>;
  /** Calls granted for dialing whose send time is not recorded yet: attempt id -> slot. */
  pending: Map<string, number>;
}

export const newLevelState = (): PacerLevelState => ({
  tat: null,
  grants: [],
  grantIds: [],
  live: new Map(),
  pending: new Map(),
});

export const intervalMs = (cps: number): number => WINDOW_MS / cps;
export const windowCap = (cps: number): number => Math.ceil(cps - 1e-9);

/** Drops expired leases and grants older than the window. */
export function prune(state: PacerLevelState, now: number): void {
  while (state.grants.length && state.grants[0]! <= now - WINDOW_MS - GUARD_MS) {
    state.grants.shift();
    state.grantIds.shift();
  }
  for (const [id, until] of state.live) if (until <= now) state.live.delete(id);
  for (const [id, slot] of state.pending) if (slot <= now - PENDING_MAX_MS) state.pending.delete(id);
}

/** 0 when a call may start now at this level, else how long to wait (ms). Prunes first. */
export function waitMs(state: PacerLevelState, limits: PaceLimits, now: number): number {
  const { wait, windowAt } = waitParts(state, limits, now);
  return Math.max(0, Math.ceil(Math.max(wait, windowAt - now)));
}

/** The wait for the concurrency cap and the schedule, and when the rate window next has room. */
function waitParts(state: PacerLevelState, limits: PaceLimits, now: number) {
  prune(state, now);
  let wait = 0;
  let windowAt = now;
  if (state.live.size >= limits.maxConcurrent) {
    wait = Math.max(wait, Math.min(...state.live.values()) - now);
  }
  // grants made ahead of their slot sit in the window too: room comes when entry `count - cap` leaves it
  const cap = windowCap(limits.callsPerSecond);
  const times = windowTimes(state, now);
  if (times.length >= cap) windowAt = times[times.length - cap]! + WINDOW_MS + GUARD_MS;
  if (state.tat !== null && state.tat - now >= SCHEDULE_TOLERANCE_MS) wait = Math.max(wait, state.tat - now);
  return { wait, windowAt };
}

/**
 * Where each call stands in the rate window, sorted: its recorded send time, or its slot; a call still unsent
 * after its slot stands at `now`, since it can only go out now or later.
 */
function windowTimes(state: PacerLevelState, now: number): number[] {
  const late = [...state.pending].filter(([, slot]) => slot < now).map(([id]) => id);
  if (!late.length) return state.grants;
  const lateSet = new Set(late);
  const times = state.grants.filter((_, i) => !lateSet.has(state.grantIds[i]!));
  for (let i = 0; i < late.length; i++) times.push(now);
  return times.sort((a, b) => a - b);
}

/**
 * Next theoretical arrival time. A caller that is late by less than one interval keeps the schedule (the next
 * slot is one interval after the missed one, so the long-run rate stays exact); an idle level restarts from now
 * (no catch-up burst).
 */
export function nextTat(tat: number | null, cps: number, now: number): number {
  const interval = intervalMs(cps);
  if (tat !== null && now - tat < interval) return tat + interval;
  return now + interval;
}

function insertGrant(state: PacerLevelState, at: number, attemptId: string): void {
  let i = state.grants.length;
  while (i > 0 && state.grants[i - 1]! > at) i--;
  state.grants.splice(i, 0, at);
  state.grantIds.splice(i, 0, attemptId);
}

/**
 * The request of this grant went to the carrier at `at` (its slot or later): the rate window counts it from
 * then, so the calls the carrier receives, not only the grants, keep to ceil(cps) per window. A send so late
 * that its slot already left the window is added back at its send time.
 */
export function moveGrant(state: PacerLevelState, attemptId: string, at: number): void {
  state.pending.delete(attemptId);
  const i = state.grantIds.indexOf(attemptId);
  if (i >= 0 && state.grants[i]! >= at) return;
  if (i >= 0) {
    state.grants.splice(i, 1);
    state.grantIds.splice(i, 1);
  }
  insertGrant(state, at, attemptId);
}

/** Records a grant; call only after waitMs(...) returned 0 for every level. */
export function commit(
  state: PacerLevelState,
  limits: PaceLimits,
  now: number,
  attemptId: string,
  leaseUntil: number,
  windowAt = now,
  dialing = false,
): void {
  // Grants from several callers may arrive slightly out of order: keep the log sorted.
  insertGrant(state, windowAt, attemptId);
  if (dialing) state.pending.set(attemptId, windowAt);
  state.live.set(attemptId, leaseUntil);
  state.tat = nextTat(state.tat, limits.callsPerSecond, now);
}

/**
 * Checks every level, then commits to all or none. `earlyMs`: a grant may come this much before its rate
 * window has room; it is counted in the window from `notBefore`, and the call must not start before then.
 * `dialing`: the call is to be sent now; it stays pending until moveGrant records its send time.
 */
export function acquireAll(
  levels: { state: PacerLevelState; limits: PaceLimits }[],
  now: number,
  attemptId: string,
  leaseUntil: number,
  earlyMs = 0,
  dialing = false,
): { ok: true; notBefore: number } | { ok: false; waitMs: number } {
  let wait = 0;
  let notBefore = now;
  for (const { state, limits } of levels) {
    const parts = waitParts(state, limits, now);
    wait = Math.max(wait, parts.wait);
    notBefore = Math.max(notBefore, parts.windowAt);
  }
  wait = Math.ceil(Math.max(wait, notBefore - now - earlyMs));
  if (wait > 0) return { ok: false, waitMs: wait };
  for (const { state, limits } of levels)
    commit(state, limits, now, attemptId, leaseUntil, notBefore, dialing);
  return { ok: true, notBefore };
}
