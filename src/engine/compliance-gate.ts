/**
 * The one place every "may this call go out now?" decision is made: where the callee is (and so which legal
 * hours hold), the domain's pre-dial check before a claim, the re-check before a previewed or manual call is
 * dialed, the number's portal-wide limits the store enforces atomically in the claim, and the latest moment the
 * carrier may place the call (the callee's window end, a moment after the pacer slot).
 *
 * The store re-checks what can change between this check and the claim (DNC, removal, the number live
 * elsewhere, the number's limits) inside its atomic claim; everything time-of-day is decided here.
 */
import { legalRuleFor } from '../domain/legal.js';
import { mayCallNow } from '../domain/policy.js';
import type { Refusal } from '../domain/policy.js';
import { EMPTY_HISTORY } from '../domain/retry.js';
import { checkCallable, localHour, resolveZones } from '../domain/windows.js';
import type { CalleeLocation } from '../domain/windows.js';
import type { EngineContext } from './context.js';
import type { EngineEvent } from './events.js';
import { callingRules, historyOf, leadContext, locationOf, withNumberDials } from './lead-context.js';
import { LruCache } from './lru.js';
import type { AttemptRecord, CampaignRecord, LeadView, NumberLimits } from './store/store.js';

/** DialRequest.notAfter: how late after its pacer slot a request may still reach the carrier. */
const DIAL_DEADLINE_ALLOWANCE_MS = 2000;
/** Numbers whose location is kept (a campaign's working set; each entry is a few hundred bytes). */
const LOCATION_CACHE_SIZE = 50_000;

/** The domain's answer to "may I call now?". */
export type Verdict = { ok: true } | Refusal;

/** Where a callee is: an E.164 number and, when the CRM has one, the contact's time zone. */
export interface Callee {
  e164: string;
  zone?: string;
}

export class ComplianceGate {
  /** Where a number is (parse + zone lookup): a pure function of `e164|zone`, needed on every dial. */
  private readonly locations = new LruCache<string, CalleeLocation>(LOCATION_CACHE_SIZE);

  constructor(private readonly ctx: EngineContext) {}

  async locationFor(lead: Callee): Promise<CalleeLocation> {
    const key = `${lead.e164}|${lead.zone ?? ''}`;
    const cached = this.locations.get(key);
    if (cached) return cached;
    // Always the number's zones too: the legal hours hold wherever the callee may be, even with a CRM zone.
    const candidates = await this.ctx.zones.candidateZones(lead.e164);
    const location = locationOf(lead.e164, lead.zone, candidates);
    this.locations.set(key, location);
    return location;
  }

  /** The callee's local hour at `at` (recorded on the attempt for the CRM), when a zone is known. */
  async localHourOf(campaign: CampaignRecord, lead: Callee, at: number) {
    const rules = callingRules(campaign.settings, this.ctx.campaigns.account(campaign.portalId));
    const zone = resolveZones(await this.locationFor(lead), rules.fallbackZone).zones[0];
    return zone ? localHour(at, zone) : undefined;
  }

  /**
   * The number's portal-wide limits for this campaign (the callee's legal 24 h cap, the campaign's minimum gap),
   * enforced by the store over every campaign's dials.
   */
  async numberLimitsFor(campaign: CampaignRecord, lead: Callee): Promise<NumberLimits> {
    const location = await this.locationFor(lead);
    const maxPer24h = legalRuleFor(location.country, location.subdivision).maxCallsPer24h;
    return {
      minGapMs: campaign.settings.retry.minGapMinutes * 60_000,
      ...(maxPer24h !== undefined ? { maxPer24h } : {}),
    };
  }

  /**
   * The domain's "may I call now?" right before the claim; a refused lead moves to when it may. `numberDials`:
   * the portal-wide recent dials of the lead's number (every campaign's), counted with the lead's own.
   */
  async preDialCheck(
    campaign: CampaignRecord,
    lead: LeadView,
    now: number,
    numberDials: readonly number[] = [],
  ): Promise<'ok' | 'moved'> {
    const { store, campaigns } = this.ctx;
    const account = campaigns.account(campaign.portalId);
    const ctx = leadContext(
      campaign.settings,
      account,
      await this.locationFor(lead),
      withNumberDials(historyOf(lead.progress), numberDials),
    );
    const verdict = mayCallNow(now, ctx);
    if (verdict.ok) return 'ok';
    if (
      (verdict.reason === 'MIN_GAP' || verdict.reason === 'DAILY_CAP') &&
      numberDials.length > 0 &&
      mayCallNow(now, { ...ctx, history: historyOf(lead.progress) }).ok
    ) {
      // Held back only by other campaigns' dials: the claim decides atomically (a DNC or removal blocks the
      // lead at once, else the number limit moves it to its earliest time; the next check fits it in the window).
      return 'ok';
    }
    const { portalId, campaignId } = campaign;
    if (verdict.nextAt !== null) {
      await store.reschedule(portalId, campaignId, lead.contactId, lead.rev, verdict.nextAt);
    } else {
      const event: EngineEvent = {
        type: 'lead.removed',
        portalId,
        campaignId,
        contactId: lead.contactId,
        reason: 'NO_CALLABLE_TIME',
        at: now,
      };
      await store.reschedule(portalId, campaignId, lead.contactId, lead.rev, null, 'failed', [event]);
    }
    return 'moved';
  }

  /**
   * A held claim about to be dialed (a previewed lead, a manual call): the claim may be minutes old, so the
   * window, legal hours, gap and cap are checked again with every campaign's recent dials of the number.
   */
  async recheckClaim(campaign: CampaignRecord, lead: LeadView, to: string, now: number): Promise<Verdict> {
    const numberDials = await this.ctx.store.recentDials(campaign.portalId, [to], now);
    const ctx = leadContext(
      campaign.settings,
      this.ctx.campaigns.account(campaign.portalId),
      await this.locationFor(lead),
      withNumberDials(historyOf(lead.progress), numberDials.get(to) ?? []),
    );
    return mayCallNow(now, ctx);
  }

  /**
   * A rep's manual call: the legal hours wherever the callee may be (the hidden campaign is open all day, so
   * only the law applies), with no attempt history of its own.
   */
  async manualCallVerdict(campaign: CampaignRecord, callee: Callee, now: number): Promise<Verdict> {
    const account = this.ctx.campaigns.account(campaign.portalId);
    const location = await this.locationFor(callee);
    return mayCallNow(now, leadContext(campaign.settings, account, location, EMPTY_HISTORY));
  }

  /**
   * The contact leg of a manual call, when the rep answers (up to the ring timeout after the request was
   * checked): the number may have been flagged Do-Not-Call meanwhile, or the legal hours may have ended.
   */
  async mayDialContactLeg(
    campaign: CampaignRecord,
    attempt: AttemptRecord,
    now: number,
  ): Promise<{ ok: true } | { ok: false; reason: 'DNC' | 'LEGAL_HOURS' | 'NO_ZONE' }> {
    const { store } = this.ctx;
    if (await store.isDoNotCall(campaign.portalId, attempt.to)) return { ok: false, reason: 'DNC' };
    const lead = await store.getLead(campaign.portalId, attempt.campaignId, attempt.contactId);
    const callee = { e164: attempt.to, ...(lead?.zone ? { zone: lead.zone } : {}) };
    const verdict = await this.manualCallVerdict(campaign, callee, now);
    if (verdict.ok) return verdict;
    return { ok: false, reason: verdict.reason === 'NO_ZONE' ? 'NO_ZONE' : 'LEGAL_HOURS' };
  }

  /** When the callee's current open window ends (now, when it is closed: such a dial must not go out). */
  async openUntil(campaign: CampaignRecord, lead: Callee): Promise<number> {
    const now = this.ctx.clock.now();
    const rules = callingRules(campaign.settings, this.ctx.campaigns.account(campaign.portalId));
    const openness = checkCallable(now, rules, await this.locationFor(lead));
    return openness.open ? openness.until : now;
  }

  /** When the callee's current open window ends (from the dispatch's read, or the lead read now). */
  async windowEndFor(campaign: CampaignRecord, attempt: AttemptRecord, openUntil?: number) {
    let until = openUntil;
    if (until === undefined) {
      const lead = await this.ctx.store.getLead(campaign.portalId, attempt.campaignId, attempt.contactId);
      until = await this.openUntil(campaign, {
        e164: attempt.to,
        ...(lead?.zone ? { zone: lead.zone } : {}),
      });
    }
    return until;
  }

  /**
   * The carrier must not place the call after the callee's open window ends, nor more than a moment after
   * it is first sent (its pacer slot, or now when the worker is late: the send time is what the rate window
   * recorded), so a retry inside the adapter can neither land outside the window nor burst the rate.
   */
  dialDeadline(attempt: AttemptRecord, windowEnd: number): number {
    // the carrier compares it with its own (true) time: take the checked time, not this worker's raw clock
    const now = this.ctx.checkedNow();
    const slot = attempt.notBefore ?? attempt.dialRequestedAt ?? now;
    return Math.min(windowEnd, Math.max(slot, now) + DIAL_DEADLINE_ALLOWANCE_MS);
  }
}
