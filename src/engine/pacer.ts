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

export interface PaceLimits {
  callsPerSecond: number;
  maxConcurrent: number;
}

/** One level's state. `grants` are grant times, oldest first; `live` maps attempt id to lease expiry. */
export interface PacerLevelState {
  /** Theoretical arrival time of the next grant (GCRA), null before the first. */
  tat: number | null;
  grants: number[];
  /** The attempt of each entry of `grants` (same order). */
  grantIds: string[];
  live: Map<string, number>;
}

export const newLevelState = (): PacerLevelState => ({
  tat: null,
  grants: [],
  grantIds: [],
  live: new Map(),
});

export const intervalMs = (cps: number): number => WINDOW_MS / cps;
export const windowCap = (cps: number): number => Math.ceil(cps - 1e-9);

/** Drops expired leases and grants older than the window. */
export function prune(state: PacerLevelState, now: number): void {
  while (state.grants.length && state.grants[0]! <= now - WINDOW_MS) {
    state.grants.shift();
    state.grantIds.shift();
  }
  for (const [id, until] of state.live) if (until <= now) state.live.delete(id);
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
  if (state.grants.length >= cap) windowAt = state.grants[state.grants.length - cap]! + WINDOW_MS;
  if (state.tat !== null && state.tat - now >= SCHEDULE_TOLERANCE_MS) wait = Math.max(wait, state.tat - now);
  return { wait, windowAt };
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
 * The request of this grant reached the carrier at `at` (later than the grant): the rate window counts it from
 * then, so the calls the carrier receives, not only the grants, keep to ceil(cps) per window.
 */
export function moveGrant(state: PacerLevelState, attemptId: string, at: number): void {
  const i = state.grantIds.indexOf(attemptId);
  if (i < 0 || state.grants[i]! >= at) return;
  state.grants.splice(i, 1);
  state.grantIds.splice(i, 1);
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
): void {
  // Grants from several callers may arrive slightly out of order: keep the log sorted.
  insertGrant(state, windowAt, attemptId);
  state.live.set(attemptId, leaseUntil);
  state.tat = nextTat(state.tat, limits.callsPerSecond, now);
}

/**
 * Checks every level, then commits to all or none. `earlyMs`: a grant may come this much before its rate
 * window has room; it is counted in the window from `notBefore`, and the call must not start before then.
 */
export function acquireAll(
  levels: { state: PacerLevelState; limits: PaceLimits }[],
  now: number,
  attemptId: string,
  leaseUntil: number,
  earlyMs = 0,
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
  for (const { state, limits } of levels) commit(state, limits, now, attemptId, leaseUntil, notBefore);
  return { ok: true, notBefore };
}
