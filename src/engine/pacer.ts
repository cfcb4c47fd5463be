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

export interface PaceLimits {
  callsPerSecond: number;
  maxConcurrent: number;
}

/** One level's state. `grants` are grant times, oldest first; `live` maps attempt id to lease expiry. */
export interface PacerLevelState {
  /** Theoretical arrival time of the next grant (GCRA), null before the first. */
  tat: number | null;
  grants: number[];
  live: Map<string, number>;
}

export const newLevelState = (): PacerLevelState => ({ tat: null, grants: [], live: new Map() });

export const intervalMs = (cps: number): number => WINDOW_MS / cps;
export const windowCap = (cps: number): number => Math.ceil(cps - 1e-9);

/** Drops expired leases and grants older than the window. */
export function prune(state: PacerLevelState, now: number): void {
  while (state.grants.length && state.grants[0]! <= now - WINDOW_MS) state.grants.shift();
  for (const [id, until] of state.live) if (until <= now) state.live.delete(id);
}

/** 0 when a call may start now at this level, else how long to wait (ms). Prunes first. */
export function waitMs(state: PacerLevelState, limits: PaceLimits, now: number): number {
  prune(state, now);
  let wait = 0;
  if (state.live.size >= limits.maxConcurrent) {
    wait = Math.max(wait, Math.min(...state.live.values()) - now);
  }
  if (state.grants.length >= windowCap(limits.callsPerSecond)) {
    wait = Math.max(wait, state.grants[0]! + WINDOW_MS - now);
  }
  if (state.tat !== null && now < state.tat) wait = Math.max(wait, state.tat - now);
  return Math.max(0, Math.ceil(wait));
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

/** Records a grant; call only after waitMs(...) returned 0 for every level. */
export function commit(
  state: PacerLevelState,
  limits: PaceLimits,
  now: number,
  attemptId: string,
  leaseUntil: number,
): void {
  // Grants from several callers may arrive slightly out of order: keep the log sorted.
  let i = state.grants.length;
  while (i > 0 && state.grants[i - 1]! > now) i--;
  state.grants.splice(i, 0, now);
  state.live.set(attemptId, leaseUntil);
  state.tat = nextTat(state.tat, limits.callsPerSecond, now);
}

/** Checks every level, then commits to all or none. */
export function acquireAll(
  levels: { state: PacerLevelState; limits: PaceLimits }[],
  now: number,
  attemptId: string,
  leaseUntil: number,
): { ok: true } | { ok: false; waitMs: number } {
  let wait = 0;
  for (const { state, limits } of levels) wait = Math.max(wait, waitMs(state, limits, now));
  if (wait > 0) return { ok: false, waitMs: wait };
  for (const { state, limits } of levels) commit(state, limits, now, attemptId, leaseUntil);
  return { ok: true };
}
