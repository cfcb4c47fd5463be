/**
 * Click-to-call: a rep's manual call from the dialer card. It runs through the engine like any attempt (DNC,
 * live lock, pacer, outcome written once), on a hidden per-portal campaign that never dials by itself. A manual
 * call may be outside a campaign's window, but never outside the legal hours or to a DNC number.
 */
import { z } from 'zod';
import { normalizePhone } from '../domain/phone.js';
import { IanaZoneSchema, E164Schema, describeZodError } from '../domain/settings.js';
import type { CampaignSettings } from '../domain/settings.js';
import { newAttemptId, portalOfAttempt } from './attempt-ids.js';
import { MANUAL_CAMPAIGN_ID } from './call-flow.js';
import type { CallOutcomes } from './call-outcome.js';
import { EngineInputError } from './campaigns.js';
import type { ComplianceGate } from './compliance-gate.js';
import type { EngineContext } from './context.js';
import type { PreviewDesk } from './preview.js';
import type { CampaignRecord, LeadView } from './store/store.js';

export { MANUAL_CAMPAIGN_ID };

export const ClickToCallSchema = z.object({
  contactId: z.string().trim().min(1, 'contactId is required').max(100),
  phone: z.string().trim().min(1, 'the contact phone number is required').max(100),
  repPhone: z.string().trim().min(1, "the rep's phone number is required").max(100),
  callerId: E164Schema,
  timeZone: IanaZoneSchema.optional(),
});
export type ClickToCallInput = z.input<typeof ClickToCallSchema>;

export type ClickToCallRefusal =
  'DNC' | 'LEGAL_HOURS' | 'DAILY_CAP' | 'LIVE_ATTEMPT' | 'RATE_LIMITED' | 'NO_ZONE' | 'NOT_CALLABLE';

/** The rep answered: dial the contact, or tell the rep why not (`message`, spoken to the rep). */
export type ContactLegVerdict = { ok: true } | { ok: false; reason: ClickToCallRefusal; message: string };

const CONTACT_LEG_REFUSALS: Record<'DNC' | 'LEGAL_HOURS' | 'NO_ZONE' | 'NOT_CALLABLE', string> = {
  DNC: "Can't call now: the number is on the do-not-call list.",
  LEGAL_HOURS: "Can't call now: it is outside the legal calling hours where the contact is.",
  NO_ZONE: "Can't call now: the contact's time zone is unknown.",
  NOT_CALLABLE: "Can't call now: this call is no longer active.",
};

/** The call was refused for a compliance or capacity reason (the input itself was fine). */
export class ClickToCallRefusedError extends EngineInputError {
  constructor(
    readonly reason: ClickToCallRefusal,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ClickToCallRefusedError';
  }
}

const ALL_DAY = { enabled: true, start: '00:00', end: '24:00' };

/**
 * The hidden campaign's settings: open all day every day (so only the legal hours apply), preview mode (the
 * worker never dials it), no AMD (the rep's phone answers first), one attempt per call (never re-queued).
 */
export function manualCampaignSettings(callerId: string, repPhone: string): CampaignSettings {
  return {
    name: 'Click-to-call (manual calls)',
    description: "Reps' manual calls from the dialer card; never dials by itself.",
    connectTo: { type: 'number', number: repPhone },
    callerIds: [callerId],
    callerIdStrategy: 'round-robin',
    pace: { callsPerSecond: 100, maxConcurrentCalls: 1000 },
    dialMode: { mode: 'preview', previewTimeoutSec: 120 },
    amd: { detection: 'off', onMachine: 'connect' },
    gatherConfirmation: false,
    windows: {
      monday: ALL_DAY,
      tuesday: ALL_DAY,
      wednesday: ALL_DAY,
      thursday: ALL_DAY,
      friday: ALL_DAY,
      saturday: ALL_DAY,
      sunday: ALL_DAY,
    },
    noCallDates: [],
    retry: {
      strategy: 'intervals',
      delaysMinutes: [1],
      maxAttempts: 1,
      maxRetryDays: null,
      minGapMinutes: 1,
    },
    ringTimeoutSec: 30,
    record: false,
  };
}

export class ClickToCall {
  constructor(
    private readonly ctx: EngineContext,
    private readonly gate: ComplianceGate,
    private readonly preview: PreviewDesk,
    private readonly outcomes: CallOutcomes,
  ) {}

  /**
   * The rep answered a click-to-call: the carrier is about to dial the contact leg, up to the ring timeout after
   * the call was checked. The DNC list and the legal hours are checked again now; when either refuses, the
   * contact is never dialed, the attempt ends canceled (like a rep who never answered) and the rep is told why.
   */
  async answered(attemptId: string): Promise<ContactLegVerdict> {
    const { store, clock } = this.ctx;
    const portalId = portalOfAttempt(attemptId);
    const attempt = portalId ? await store.getAttempt(portalId, attemptId) : null;
    const live = attempt?.state === 'dial-requested' || attempt?.state === 'dialed';
    const campaign =
      attempt && live && attempt.campaignId === MANUAL_CAMPAIGN_ID
        ? await store.getCampaign(attempt.portalId, MANUAL_CAMPAIGN_ID)
        : null;
    if (!attempt || !campaign)
      return { ok: false, reason: 'NOT_CALLABLE', message: CONTACT_LEG_REFUSALS.NOT_CALLABLE };
    const now = clock.now();
    const verdict = await this.gate.mayDialContactLeg(campaign, attempt, now);
    if (verdict.ok) return verdict;
    await this.outcomes.handleCallEvent({
      type: 'status',
      attemptId,
      providerCallId: attempt.providerCallId ?? '',
      status: 'canceled',
      at: now,
    });
    return { ok: false, reason: verdict.reason, message: CONTACT_LEG_REFUSALS[verdict.reason] };
  }

  /**
   * A rep's manual call from the dialer card: rings the rep (`repPhone`), then the contact with `callerId`.
   * Refused with a ClickToCallRefusedError when the number is DNC, a call to the contact or the number is live
   * in any campaign, or it is outside the legal hours in any zone the callee may be in (a campaign's window does
   * not apply to a manual call; the law does). The call's events follow the contact leg and its outcome is one
   * attempt.finished, like any attempt.
   */
  async clickToCall(
    portalId: string,
    input: unknown,
  ): Promise<{ attemptId: string; contactId: string; to: string }> {
    const parsed = ClickToCallSchema.safeParse(input);
    if (!parsed.success)
      throw new EngineInputError(`invalid click-to-call: ${describeZodError(parsed.error)}`);
    const { contactId, callerId, timeZone } = parsed.data;
    const account = this.ctx.campaigns.account(portalId);
    const phone = normalizePhone(parsed.data.phone, account.defaultRegion);
    if (!phone.ok) throw new EngineInputError(`phone: not a callable number (${phone.reason})`);
    const rep = normalizePhone(parsed.data.repPhone, account.defaultRegion);
    if (!rep.ok) throw new EngineInputError(`repPhone: not a callable number (${rep.reason})`);
    const e164 = phone.phone.e164;
    const now = this.ctx.clock.now();

    if (await this.ctx.store.isDoNotCall(portalId, e164))
      throw new ClickToCallRefusedError('DNC', `${contactId}: the number is on the do-not-call list`);
    const campaign = await this.manualCampaign(portalId, callerId, rep.phone.e164);
    const callee = { e164, ...(timeZone ? { zone: timeZone } : {}) };
    const verdict = await this.gate.manualCallVerdict(campaign, callee, now);
    if (!verdict.ok) {
      const reason = verdict.reason === 'NO_ZONE' ? 'NO_ZONE' : 'LEGAL_HOURS';
      throw new ClickToCallRefusedError(
        reason,
        `${contactId}: outside the legal calling hours in the callee's time zone` +
          (verdict.nextAt !== null ? ` (callable from ${new Date(verdict.nextAt).toISOString()})` : ''),
      );
    }

    const lead = await this.manualLead(portalId, contactId, e164, timeZone, now);
    const claim = await this.ctx.store.claim({
      portalId,
      campaignId: MANUAL_CAMPAIGN_ID,
      contactId,
      expectRev: lead.rev,
      attemptId: newAttemptId(portalId),
      from: callerId,
      now,
      leaseUntil: now + this.ctx.timings.claimLeaseMs,
      maxLive: null,
      busyRetryMs: this.ctx.timings.busyRetryMs,
      lockBoundMs: this.ctx.timings.maxCallDurationMs,
      amd: false,
      // the rep's phone, rung first (see dialRequestFor)
      agentId: rep.phone.e164,
      localHour: await this.gate.localHourOf(campaign, lead, now),
    });
    if (!claim.ok) {
      if (claim.reason === 'dnc')
        throw new ClickToCallRefusedError('DNC', `${contactId}: the number is on the do-not-call list`);
      if (claim.reason === 'contact-busy' || claim.reason === 'changed' || claim.reason === 'not-due')
        throw new ClickToCallRefusedError('LIVE_ATTEMPT', `${contactId}: a call to this contact is live`);
      throw new EngineInputError(`${contactId}: cannot call this contact (${claim.reason})`);
    }
    const dialed = await this.preview.dialPreview(portalId, claim.attempt.attemptId);
    if (!dialed.ok) {
      await this.preview.skipPreview(portalId, claim.attempt.attemptId);
      const reason =
        dialed.reason === 'paced'
          ? 'RATE_LIMITED'
          : dialed.reason === 'LEGAL_HOURS' || dialed.reason === 'DAILY_CAP'
            ? dialed.reason
            : 'NOT_CALLABLE';
      throw new ClickToCallRefusedError(
        reason,
        reason === 'RATE_LIMITED'
          ? `the account's call rate or concurrent calls are used up: try again shortly`
          : `${contactId}: cannot be called now (${dialed.reason})`,
        dialed.waitMs,
      );
    }
    return { attemptId: claim.attempt.attemptId, contactId, to: e164 };
  }

  /** The portal's hidden manual campaign (created active on first use; never dialed by the worker). */
  private async manualCampaign(
    portalId: string,
    callerId: string,
    repPhone: string,
  ): Promise<CampaignRecord> {
    const existing = await this.ctx.store.getCampaign(portalId, MANUAL_CAMPAIGN_ID);
    if (existing) return existing;
    const now = this.ctx.clock.now();
    const record: CampaignRecord = {
      portalId,
      campaignId: MANUAL_CAMPAIGN_ID,
      settings: manualCampaignSettings(callerId, repPhone),
      status: 'active',
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    if (await this.ctx.store.createCampaign(record)) return record;
    const raced = await this.ctx.store.getCampaign(portalId, MANUAL_CAMPAIGN_ID);
    if (!raced) throw new Error('the manual campaign could not be created');
    return raced;
  }

  /** The contact's lead in the manual campaign, queued for now (a finished one is queued again). */
  private async manualLead(
    portalId: string,
    contactId: string,
    e164: string,
    zone: string | undefined,
    now: number,
  ): Promise<LeadView> {
    const lead = await this.ctx.store.getLead(portalId, MANUAL_CAMPAIGN_ID, contactId);
    if (!lead) {
      const row = { contactId, e164, ...(zone ? { zone } : {}), dueAt: now };
      const enrolled = await this.ctx.store.enroll(portalId, MANUAL_CAMPAIGN_ID, [row], [], now);
      const skipped = enrolled.skipped[0];
      if (skipped?.reason === 'DNC')
        throw new ClickToCallRefusedError('DNC', `${contactId}: the number is on the do-not-call list`);
      if (skipped?.reason === 'DUPLICATE')
        throw new EngineInputError(
          `${contactId}: ${e164} is another contact's number for manual calls; call that contact instead`,
        );
    } else {
      if (lead.progress.state === 'dialing')
        throw new ClickToCallRefusedError('LIVE_ATTEMPT', `${contactId}: a call to this contact is live`);
      if (lead.e164 !== e164)
        throw new EngineInputError(
          `${contactId}: manual calls to this contact go to ${lead.e164}; a different number is not supported yet`,
        );
      const queued = await this.ctx.store.updateLead(
        portalId,
        MANUAL_CAMPAIGN_ID,
        contactId,
        lead.rev,
        // Each manual call stands alone (the hidden campaign's stop conditions count one call); the recent
        // attempt times stay, so the legal per-24 h caps still count every call.
        { ...lead.progress, state: 'queued', attempts: 0, firstAttemptAt: null },
        now,
      );
      if (!queued)
        throw new ClickToCallRefusedError(
          'LIVE_ATTEMPT',
          `${contactId}: a call to this contact just started`,
        );
    }
    const fresh = await this.ctx.store.getLead(portalId, MANUAL_CAMPAIGN_ID, contactId);
    if (!fresh) throw new Error(`contact ${contactId} could not be queued for a manual call`);
    return fresh;
  }
}
