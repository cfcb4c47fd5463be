/**
 * A contact's dialer view: each number with its validity and local time, whether a rep may call it now (and if
 * not, when next and why), the contact's enrollments and its attempts. "May I call now" is the domain's
 * `mayCallNow` under the manual-call rules the engine's click-to-call applies (legal hours, DNC, daily cap).
 */
import { DateTime } from 'luxon';
import { mayCallNow } from '../../domain/policy.js';
import type { RefusalReason } from '../../domain/policy.js';
import { EMPTY_HISTORY } from '../../domain/retry.js';
import { resolveZones } from '../../domain/windows.js';
import { manualCampaignSettings } from '../../engine/click-to-call.js';
import { MANUAL_CAMPAIGN_ID } from '../../engine/dialer.js';
import { leadContext, withNumberDials } from '../../engine/lead-context.js';
import type { CampaignRecord, LeadView } from '../../engine/store/store.js';
import { attemptTime, callState, progressOf, wrapUpOf } from './call-state.js';
import type { ApiDeps } from './deps.js';
import { notFound } from './errors.js';
import { locationCached, parsePhoneCached, recentCampaigns } from './read-caches.js';

const WHY: Record<RefusalReason, string> = {
  DNC: 'the number is on the Do-Not-Call list',
  LIVE_ATTEMPT: 'a call to this contact is live',
  LEGAL_HOURS: 'outside the legal calling hours in their time zone',
  DAILY_CAP: 'already called as often as the law allows in 24 hours',
  MIN_GAP: 'called too recently',
  NO_ZONE: 'their time zone is unknown',
  OUTSIDE_WINDOW: 'outside the calling window',
  DAY_DISABLED: 'no calls on this day',
  NO_CALL_DATE: 'a no-call date',
  MAX_ATTEMPTS: 'the most attempts were made',
  MAX_RETRY_DAYS: 'the retry days are over',
  CONSECUTIVE_ERRORS: 'the number failed twice in a row',
};

/** The manual-call rules need only windows and limits; these placeholder numbers are never dialed. */
const MANUAL_RULES = manualCampaignSettings('+15550000000', '+15550000001');

const localLabel = (at: number, zone: string) => DateTime.fromMillis(at, { zone }).toFormat('ccc HH:mm');

/** The contact's lead in the portal's manual-call campaign, which exists once the portal's first call was made. */
async function manualLead(deps: ApiDeps, portalId: string, contactId: string): Promise<LeadView | null> {
  if (!(await deps.store.getCampaign(portalId, MANUAL_CAMPAIGN_ID))) return null;
  return deps.store.getLead(portalId, MANUAL_CAMPAIGN_ID, contactId);
}

export async function dialerView(deps: ApiDeps, portalId: string, contactId: string) {
  const now = deps.clock.now();
  const [contact, account, campaigns] = await Promise.all([
    deps.contacts.getContact(portalId, contactId),
    deps.accounts.get(portalId),
    recentCampaigns(deps.store, portalId),
  ]);
  // The campaign list may be half a second old; the manual campaign (reps' calls) is always read, so a call
  // placed a moment ago shows as the active call on the very next poll.
  const [leads, manual] = await Promise.all([
    Promise.all(
      campaigns
        .filter((c) => c.campaignId !== MANUAL_CAMPAIGN_ID)
        .map(async (c) => ({
          campaign: c,
          lead: await deps.store.getLead(portalId, c.campaignId, contactId),
        })),
    ),
    manualLead(deps, portalId, contactId),
  ]);
  const enrolled = leads.filter((l): l is { campaign: CampaignRecord; lead: LeadView } => l.lead !== null);
  const withManual = manual ? [...enrolled, { campaignId: MANUAL_CAMPAIGN_ID, lead: manual }] : enrolled;
  if (!contact && withManual.length === 0) throw notFound('contact');

  const attempts = await Promise.all(
    withManual
      .filter((l) => l.lead.progress.attemptId !== undefined)
      .map((l) => deps.store.getAttempt(portalId, l.lead.progress.attemptId!)),
  );
  const live = withManual.find((l) => l.lead.progress.state === 'dialing');
  const liveAttempt = live ? attempts.find((a) => a?.attemptId === live.lead.progress.attemptId) : undefined;

  const phones = contact?.phones ?? [];
  const parsed = phones.map((p) => ({ ...p, result: parsePhoneCached(p.raw, account.defaultRegion) }));
  const valid = [...new Set(parsed.flatMap((p) => (p.result.ok ? [p.result.phone.e164] : [])))];
  const [dials, dnc, zones] = await Promise.all([
    deps.store.recentDials(portalId, valid, now),
    Promise.all(valid.map((n) => deps.store.isDoNotCall(portalId, n))),
    Promise.all(valid.map((n) => deps.zones.candidateZones(n))),
  ]);

  const numbers = parsed.map((p) => {
    if (!p.result.ok) {
      return {
        field: p.field,
        raw: p.raw,
        e164: null,
        valid: false,
        invalidReason: p.result.reason,
        zone: null,
        localTime: null,
        callableNow: false,
        why: 'not a callable phone number',
      };
    }
    const e164 = p.result.phone.e164;
    const i = valid.indexOf(e164);
    const location = locationCached(e164, contact?.timeZone, zones[i]!);
    const zone = resolveZones(location, account.timeZone).zones[0] ?? null;
    const lead = {
      ...leadContext(MANUAL_RULES, account, location, withNumberDials(EMPTY_HISTORY, dials.get(e164) ?? [])),
      doNotCall: dnc[i]! || contact?.doNotCall === true,
      liveAttempt: live !== undefined,
    };
    const verdict = mayCallNow(now, lead);
    const base = {
      field: p.field,
      raw: p.raw,
      e164,
      valid: true,
      zone,
      localTime: zone ? localLabel(now, zone) : null,
      callableNow: verdict.ok,
    };
    if (verdict.ok) return base;
    return {
      ...base,
      ...(verdict.nextAt !== null
        ? { nextAt: verdict.nextAt, ...(zone ? { nextAtLocal: localLabel(verdict.nextAt, zone) } : {}) }
        : {}),
      why: WHY[verdict.reason],
    };
  });

  const enrollments = enrolled.map(({ campaign, lead }) => ({
    campaignId: campaign.campaignId,
    campaignName: campaign.settings.name,
    state: lead.progress.state,
    nextAttemptAt: lead.dueAt,
    attempts: lead.progress.attempts,
  }));

  const history = attempts
    .filter((a) => a !== null)
    .map((a) => {
      const progress = progressOf(a);
      const wrap = wrapUpOf(a);
      return {
        attemptId: a.attemptId,
        campaignId: a.campaignId,
        at: attemptTime(a),
        outcome: a.state === 'finished' ? (progress?.status ?? 'failed') : callState(a),
        disposition: wrap?.disposition ?? null,
        durationSec: progress?.durationSec ?? null,
        ...(wrap?.notes ? { notes: wrap.notes } : {}),
      };
    })
    .sort((a, b) => b.at - a.at);

  return {
    contact: { id: contactId, name: contact?.name ?? `Contact ${contactId}` },
    numbers,
    enrollments,
    history,
    activeCall: liveAttempt ? { attemptId: liveAttempt.attemptId, status: callState(liveAttempt) } : null,
  };
}
