/**
 * Gathers what the compliance preview judges: a campaign's enrolled contacts (or a list's, before enrolling
 * it) with their zones, the portal's DNC set and each number's dials in the last 24 h; the domain decides.
 * Everything is read in bulk: 10,000 contacts are a handful of store round trips.
 */
import {
  emptyPreview,
  previewSummary,
  previewVerdict,
  tallyVerdict,
} from '../../domain/compliance-preview.js';
import type { CompliancePreview, PreviewVerdict } from '../../domain/compliance-preview.js';
import type { AccountSettings, CampaignSettings } from '../../domain/settings.js';
import { normalizePhone } from '../../domain/phone.js';
import { EMPTY_HISTORY } from '../../domain/retry.js';
import type { ZoneLookup } from '../../engine/campaigns.js';
import { historyOf, leadContext, locationOf, withNumberDials } from '../../engine/lead-context.js';
import type { CampaignRecord, LeadView, Store } from '../../engine/store/store.js';
import type { ListContactRow } from './ports.js';

/** Leads fetched from the due queue per round trip. */
const PAGE = 5_000;
const FAR_FUTURE = Number.MAX_SAFE_INTEGER;

async function queuedLeads(store: Store, portalId: string, campaignId: string): Promise<LeadView[]> {
  const leads: LeadView[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.peekDue(portalId, campaignId, FAR_FUTURE, PAGE, offset);
    leads.push(...page);
    if (page.length < PAGE) return leads;
  }
}

async function dncOf(store: Store, portalId: string, numbers: string[]): Promise<Set<string>> {
  const flags = await Promise.all(numbers.map((n) => store.isDoNotCall(portalId, n)));
  return new Set(numbers.filter((_, i) => flags[i]));
}

async function zonesOf(zones: ZoneLookup, numbers: readonly string[]): Promise<Map<string, string[]>> {
  const unique = [...new Set(numbers)];
  const found = await Promise.all(unique.map((n) => zones.candidateZones(n)));
  return new Map(unique.map((n, i) => [n, found[i]!]));
}

/**
 * The country and state of a number, from a few thousand distinct area codes instead of 10,000 parses: in the
 * NANP the area code alone decides both (each NPA belongs to one country or territory); other numbers are
 * parsed one by one.
 */
function locator() {
  const byPrefix = new Map<string, ReturnType<typeof locationOf>>();
  return (e164: string, zone: string | undefined, candidateZones: readonly string[]) => {
    const key = e164.startsWith('+1') ? e164.slice(0, 5) : e164;
    let base = byPrefix.get(key);
    if (!base) {
      base = locationOf(e164, undefined, []);
      byPrefix.set(key, base);
    }
    return { ...base, ...(zone ? { contactZone: zone } : {}), candidateZones };
  };
}

interface Judged {
  e164: string;
  zone?: string;
  history: LeadView['progress'] | null;
  doNotCall: boolean;
}

async function judge(
  store: Store,
  zones: ZoneLookup,
  portalId: string,
  settings: CampaignSettings,
  account: AccountSettings,
  contacts: Judged[],
  tally: Omit<CompliancePreview, 'summary'>,
  now: number,
) {
  const numbers = contacts.map((c) => c.e164);
  const [dnc, dials, candidateZones] = await Promise.all([
    dncOf(store, portalId, numbers),
    store.recentDials(portalId, numbers, now),
    zonesOf(zones, numbers),
  ]);
  const locate = locator();
  // previewVerdict is pure: contacts never called, in the same place, get the same verdict. A fresh campaign
  // has a few dozen such places for 10,000 contacts, so each place is judged once.
  const freshVerdicts = new Map<string, PreviewVerdict>();
  for (const c of contacts) {
    const numberDials = dials.get(c.e164) ?? [];
    const history = withNumberDials(c.history ? historyOf(c.history) : EMPTY_HISTORY, numberDials);
    const location = locate(c.e164, c.zone, candidateZones.get(c.e164) ?? []);
    const lead = {
      ...leadContext(settings, account, location, history),
      doNotCall: c.doNotCall || dnc.has(c.e164),
    };
    const fresh =
      history.attempts === 0 &&
      history.firstAttemptAt === null &&
      history.consecutiveTechnicalErrors === 0 &&
      history.recentAttemptTimes.length === 0 &&
      history.lastAttemptAt === null;
    const key = fresh
      ? [
          lead.doNotCall,
          location.country,
          location.subdivision,
          location.contactZone,
          ...location.candidateZones,
        ].join('|')
      : null;
    let verdict = key !== null ? freshVerdicts.get(key) : undefined;
    if (verdict === undefined) {
      verdict = previewVerdict(now, lead);
      if (key !== null) freshVerdicts.set(key, verdict);
    }
    tallyVerdict(tally, verdict, lead);
  }
}

/** The preview of a campaign's enrolled contacts: skipped ones by their reason, queued ones judged now. */
export async function previewCampaign(
  store: Store,
  zones: ZoneLookup,
  campaign: CampaignRecord,
  account: AccountSettings,
  now: number,
): Promise<CompliancePreview> {
  const { portalId, campaignId } = campaign;
  const [counts, states, leads] = await Promise.all([
    store.enrollmentCounts(portalId, campaignId),
    store.leadStates(portalId, campaignId),
    queuedLeads(store, portalId, campaignId),
  ]);
  const tally = emptyPreview();
  tally.invalid = counts.INVALID_NUMBER + counts.MISSING_NUMBER;
  tally.doNotCall = counts.DNC;
  tally.duplicates = counts.DUPLICATE;
  tally.noCallableTime = counts.NO_CALLABLE_TIME;
  tally.finished = states.reached + states.failed + states.dnc + states.removed;
  tally.total = tally.invalid + tally.doNotCall + tally.duplicates + tally.noCallableTime + tally.finished;
  // a lead live right now is callable again once its call ends
  tally.total += states.dialing;
  tally.callable += states.dialing;
  const judged = leads.map((l) => ({
    e164: l.e164,
    ...(l.zone ? { zone: l.zone } : {}),
    history: l.progress,
    doNotCall: false,
  }));
  await judge(store, zones, portalId, campaign.settings, account, judged, tally, now);
  return { ...tally, summary: previewSummary(tally) };
}

/** The preview of a list's contacts before they are enrolled (numbers read as enrollment would read them). */
export async function previewRows(
  store: Store,
  zones: ZoneLookup,
  campaign: CampaignRecord,
  account: AccountSettings,
  pages: AsyncIterable<ListContactRow[]>,
  now: number,
): Promise<CompliancePreview> {
  const tally = emptyPreview();
  const seen = new Set<string>();
  for await (const rows of pages) {
    const judged: Judged[] = [];
    for (const row of rows) {
      const phone = row.phone.trim() === '' ? null : normalizePhone(row.phone, account.defaultRegion);
      if (!phone?.ok) {
        tally.total++;
        tally.invalid++;
        continue;
      }
      if (seen.has(phone.phone.e164)) {
        tally.total++;
        tally.duplicates++;
        continue;
      }
      seen.add(phone.phone.e164);
      judged.push({
        e164: phone.phone.e164,
        ...(row.timeZone ? { zone: row.timeZone } : {}),
        history: null,
        doNotCall: row.doNotCall,
      });
    }
    await judge(store, zones, campaign.portalId, campaign.settings, account, judged, tally, now);
  }
  return { ...tally, summary: previewSummary(tally) };
}
