/**
 * Pace feedback: how fast to dial after the carrier reports queueing. Pure arithmetic, so the engine can use it
 * without importing a telephony adapter.
 */

/** Lowest pace we ever suggest; the campaign schema requires a positive rate. */
export const MIN_CALLS_PER_SECOND = 0.1;

/**
 * Twilio queues calls placed above the account's CPS and reports the wait as QueueTime. Any queueing means we
 * dial too fast, so cut the rate: by 10 % for a short wait, up to half for a wait of a second or more.
 */
export function suggestPaceAfterQueueing(callsPerSecond: number, queueTimeMs: number): number {
  if (!(queueTimeMs > 0)) return callsPerSecond;
  const factor = Math.min(0.9, Math.max(0.5, 1 / (1 + queueTimeMs / 1000)));
  const next = Math.floor(callsPerSecond * factor * 100) / 100;
  // Never raise the pace, and never suggest less than the floor unless already below it.
  return Math.min(callsPerSecond, Math.max(MIN_CALLS_PER_SECOND, next));
}
