/** Caller-ID choice and pace feedback: pure helpers used by the engine with the Twilio adapter. */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

export type CallerIdStrategy = 'round-robin' | 'local-presence';

/** "+1415..." → "+1415": the NANP area code, which is what "local" means to a North American callee. */
function nanpAreaPrefix(e164: string): string | undefined {
  return /^\+1\d{10}$/.test(e164) ? e164.slice(0, 5) : undefined;
}

function countryOf(e164: string): string | undefined {
  return parsePhoneNumberFromString(e164)?.country;
}

function rotate(candidates: string[], counter: number): string {
  const n = candidates.length;
  return candidates[((Math.trunc(counter) % n) + n) % n]!;
}

/**
 * Picks the caller ID for a call. Round robin rotates through the pool with `counter`. Local presence prefers
 * a number with the contact's area code (NANP), then one in the contact's country, else falls back to round
 * robin; several matches rotate too, so one local number does not carry the whole load.
 */
export function pickCallerId(
  pool: string[],
  to: string,
  strategy: CallerIdStrategy,
  counter: number,
): string {
  if (pool.length === 0) throw new Error('the caller ID pool is empty');
  if (strategy === 'local-presence') {
    const area = nanpAreaPrefix(to);
    if (area) {
      const sameArea = pool.filter((n) => nanpAreaPrefix(n) === area);
      if (sameArea.length) return rotate(sameArea, counter);
    }
    const country = countryOf(to);
    if (country) {
      const sameCountry = pool.filter((n) => countryOf(n) === country);
      if (sameCountry.length) return rotate(sameCountry, counter);
    }
  }
  return rotate(pool, counter);
}

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
