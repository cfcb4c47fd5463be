/** Caller-ID choice: which of the campaign's numbers a call shows (pure; the engine and adapters share it). */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

export type CallerIdStrategy = 'round-robin' | 'local-presence';

/** "+1415..." → "+1415": the NANP area code, which is what "local" means to a North American callee. */
function nanpAreaPrefix(e164: string): string | undefined {
  return /^\+1\d{10}$/.test(e164) ? e164.slice(0, 5) : undefined;
}

/**
 * A number's country is a pure function of the number, and parsing is the costly part of a pick (it runs per
 * dial): remember recent answers. Bounded, so a long campaign over many numbers cannot grow it without limit.
 */
const COUNTRY_MEMO_SIZE = 10_000;
const countryMemo = new Map<string, string | undefined>();

function countryOf(e164: string): string | undefined {
  if (countryMemo.has(e164)) return countryMemo.get(e164);
  const country = parsePhoneNumberFromString(e164)?.country;
  if (countryMemo.size >= COUNTRY_MEMO_SIZE) countryMemo.delete(countryMemo.keys().next().value as string);
  countryMemo.set(e164, country);
  return country;
}

function rotate(candidates: readonly string[], counter: number): string {
  const n = candidates.length;
  return candidates[((Math.trunc(counter) % n) + n) % n]!;
}

/**
 * Picks the caller ID for a call. Round robin rotates through the pool with `counter`. Local presence prefers
 * a number with the contact's area code (NANP), then one in the contact's country, else falls back to round
 * robin; several matches rotate too, so one local number does not carry the whole load.
 */
export function pickCallerId(
  pool: readonly string[],
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
