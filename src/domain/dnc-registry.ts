/**
 * National Do-Not-Call registry freshness (pure). A campaign that requires registry scrubbing may dial only while
 * the portal's imported registry is at most 31 days old (US TSR, 16 CFR 310.4(b)(3)(iv): sellers scrub against
 * a registry version obtained no more than 31 days before the call). The number check itself is the portal's DNC
 * set; this rule only decides whether the imported version is recent enough to rely on.
 */
export const REGISTRY_MAX_AGE_DAYS = 31;
const DAY_MS = 86_400_000;

export interface RegistryVersion {
  /** The registry's own version date (YYYY-MM-DD, UTC), as given at import. */
  versionDate: string;
  importedAt: number;
  numbers: number;
}

export type RegistryVerdict =
  | { ok: true; staleAt: number | null }
  | { ok: false; reason: 'REGISTRY_MISSING' | 'REGISTRY_STALE'; message: string };

/** The first instant the version is too old: the end of its 31st day after the version date (UTC). */
export function registryStaleAt(versionDate: string): number {
  return Date.parse(`${versionDate}T00:00:00Z`) + (REGISTRY_MAX_AGE_DAYS + 1) * DAY_MS;
}

/** May a campaign with this requirement dial at `now`, given the portal's registry version (null: none imported)? */
export function registryScrubVerdict(
  now: number,
  requiresScrub: boolean,
  version: RegistryVersion | null,
): RegistryVerdict {
  if (!requiresScrub) return { ok: true, staleAt: null };
  if (!version) {
    return {
      ok: false,
      reason: 'REGISTRY_MISSING',
      message:
        'this campaign requires national Do-Not-Call registry scrubbing, and no registry has been imported for ' +
        'this portal: import one (npm run import-dnc-registry) first',
    };
  }
  const staleAt = registryStaleAt(version.versionDate);
  if (now >= staleAt) {
    const ageDays = Math.floor((now - Date.parse(`${version.versionDate}T00:00:00Z`)) / DAY_MS);
    return {
      ok: false,
      reason: 'REGISTRY_STALE',
      message:
        `this campaign requires national Do-Not-Call registry scrubbing, and the imported registry ` +
        `(version ${version.versionDate}) is ${ageDays} days old; at most ${REGISTRY_MAX_AGE_DAYS} days are ` +
        `allowed: import a newer registry file`,
    };
  }
  return { ok: true, staleAt };
}
