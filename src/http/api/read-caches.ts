/**
 * Short-lived read caches for the dialer card's polling (a card polls every few seconds per open record):
 * the portal's campaign list for half a second, and phone parsing (pure, so cached without expiry). Writes
 * never read through these caches.
 */
import { normalizePhone } from '../../domain/phone.js';
import type { PhoneParseResult } from '../../domain/phone.js';
import type { CalleeLocation } from '../../domain/windows.js';
import { locationOf } from '../../engine/lead-context.js';
import { LruCache } from '../../engine/lru.js';
import type { CampaignRecord, Store } from '../../engine/store/store.js';

const parsed = new LruCache<string, PhoneParseResult>(10_000);
const located = new LruCache<string, Omit<CalleeLocation, 'candidateZones' | 'contactZone'>>(10_000);

export function parsePhoneCached(raw: string, region: string): PhoneParseResult {
  const key = `${region}|${raw}`;
  let hit = parsed.get(key);
  if (!hit) {
    hit = normalizePhone(raw, region);
    parsed.set(key, hit);
  }
  return hit;
}

/** `locationOf` with its number parse cached by E.164. */
export function locationCached(
  e164: string,
  zone: string | undefined,
  candidateZones: readonly string[],
): CalleeLocation {
  let base = located.get(e164);
  if (!base) {
    const { candidateZones: _none, ...rest } = locationOf(e164, undefined, []);
    base = rest;
    located.set(e164, base);
  }
  return { ...base, ...(zone ? { contactZone: zone } : {}), candidateZones };
}

const CAMPAIGNS_TTL_MS = 500;
const campaignLists = new WeakMap<Store, Map<string, { at: number; records: Promise<CampaignRecord[]> }>>();

/** The portal's campaigns as read at most half a second ago (a campaign created since shows up a moment later). */
export function recentCampaigns(store: Store, portalId: string, now = Date.now()): Promise<CampaignRecord[]> {
  let byPortal = campaignLists.get(store);
  if (!byPortal) {
    byPortal = new Map();
    campaignLists.set(store, byPortal);
  }
  const hit = byPortal.get(portalId);
  if (hit && now - hit.at < CAMPAIGNS_TTL_MS) return hit.records;
  const records = store.listCampaigns(portalId);
  if (byPortal.size > 10_000) byPortal.clear();
  byPortal.set(portalId, { at: now, records });
  records.catch(() => byPortal.delete(portalId));
  return records;
}
