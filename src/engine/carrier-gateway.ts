/**
 * Hands dial-requested attempts to the carrier: waits for the pacer slot, sends with its deadline, records the
 * send time in the rate window and the carrier's call id, and decides what a failed dial means (refused for
 * certain: finished now; never sent: back to the queue uncounted; maybe sent: held until its lease ends).
 */
import { foldCallEvent, initialProgress } from '../domain/call-progress.js';
import type { CampaignSettings } from '../domain/settings.js';
import type { DialRequest } from '../telephony/telephony.js';
import { TelephonyError } from '../telephony/telephony.js';
import { dialRequestFor } from './call-flow.js';
import type { CallOutcomes } from './call-outcome.js';
import type { ComplianceGate } from './compliance-gate.js';
import type { EngineContext } from './context.js';
import { FINAL_LEAD_STATES } from './events.js';
import type { LeadProgress } from './store/codec.js';
import { decodeProgress } from './store/codec.js';
import type { AttemptRecord, CampaignRecord } from './store/store.js';

export class CarrierGateway {
  constructor(
    private readonly ctx: EngineContext,
    private readonly gate: ComplianceGate,
    private readonly outcomes: CallOutcomes,
  ) {}

  /** The lease of a dial-requested attempt: ring time plus the silence after which it is presumed lost. */
  dialLease(settings: CampaignSettings, now: number): number {
    return now + settings.ringTimeoutSec * 1000 + this.ctx.timings.callbackSilenceMs;
  }

  /**
   * An auto-dialed attempt, already dial-requested (durable): waits for its pacer slot, hands it to the
   * carrier, then records its call id. `openUntil`: the callee's window end as the dispatch read it.
   */
  async send(campaign: CampaignRecord, attempt: AttemptRecord, openUntil?: number): Promise<void> {
    const { portalId, campaignId, settings } = campaign;
    const windowEnd = await this.gate.windowEndFor(campaign, attempt, openUntil);
    const request = dialRequestFor(attempt, settings, this.ctx.agentNumber);
    await this.waitForSlot(attempt.notBefore);
    this.ctx.observer.dialPlaced(portalId, campaignId);
    await this.place(campaign, attempt, { ...request, notAfter: this.gate.dialDeadline(attempt, windowEnd) });
  }

  /** A previewed or manual attempt the rep just had marked dial-requested: it goes out now. */
  async sendMarked(campaign: CampaignRecord, attempt: AttemptRecord): Promise<void> {
    const { portalId, campaignId, settings } = campaign;
    const windowEnd = await this.gate.windowEndFor(campaign, attempt);
    this.ctx.observer.dialPlaced(portalId, campaignId);
    await this.place(campaign, attempt, {
      ...dialRequestFor(attempt, settings, this.ctx.agentNumber),
      notAfter: this.gate.dialDeadline(attempt, windowEnd),
    });
  }

  /** Sends the request; a dial that returned a call id is never finalized here, whatever happens after. */
  private async place(campaign: CampaignRecord, attempt: AttemptRecord, request: DialRequest) {
    let providerCallId: string;
    try {
      ({ providerCallId } = await this.dialNow(attempt, request));
    } catch (error) {
      await this.afterDialError(campaign, attempt, error);
      return;
    }
    // The call exists: if this write fails, its callbacks still fold by attempt id and the lease still ends.
    await this.ctx.store.markDialed(campaign.portalId, attempt.attemptId, providerCallId);
  }

  /**
   * A dial without a call id. Only a refusal the carrier certainly gave finishes the attempt now (a spent
   * attempt id, never dialed again). Not dialed (its deadline passed before it was sent): the lead goes back to
   * the queue and no attempt is counted. Maybe sent (a reply lost on the way back, or an error that says
   * nothing): the call may be ringing, so the attempt stays dial-requested, holding the contact, until its
   * lease ends and the reaper decides.
   */
  private async afterDialError(campaign: CampaignRecord, attempt: AttemptRecord, error: unknown) {
    if (error instanceof TelephonyError && error.notDialed) {
      await this.requeueNotDialed(campaign, attempt);
      return;
    }
    if (!(error instanceof TelephonyError) || error.maybeSent) {
      this.ctx.onError(error);
      return;
    }
    const failed = foldCallEvent(initialProgress(), {
      type: 'status',
      attemptId: attempt.attemptId,
      providerCallId: '',
      status: 'failed',
      ...(error.code !== undefined ? { errorCode: error.code } : {}),
      at: this.ctx.clock.now(),
    });
    await this.outcomes.finalize(attempt.portalId, attempt.attemptId, failed, 'dial-error');
  }

  /**
   * Ends a dial-requested attempt the carrier was never asked to place: the lead's history is left as it was
   * before the claim (nothing counted), it is due again now (the pre-dial check then moves it to its next
   * opening), and its locks and slots are freed in the same atomic finish.
   */
  private async requeueNotDialed(campaign: CampaignRecord, attempt: AttemptRecord) {
    const { store, clock } = this.ctx;
    const { portalId, campaignId } = campaign;
    for (let tries = 0; tries < 10; tries++) {
      const current = await store.getAttempt(portalId, attempt.attemptId);
      if (!current || current.state === 'finished') return;
      const lead = await store.getLead(portalId, campaignId, attempt.contactId);
      if (!lead) return;
      const prior = current.priorLead ? decodeProgress(current.priorLead) : null;
      const restored: LeadProgress = prior ?? { ...lead.progress, state: 'queued' };
      const next = FINAL_LEAD_STATES.includes(restored.state)
        ? { ...restored, state: 'retrying' as const }
        : restored;
      const now = clock.now();
      const result = await store.finishAttempt({
        portalId,
        attemptId: current.attemptId,
        now,
        lead: next,
        nextAt: now,
        events: [
          {
            type: 'attempt.status',
            portalId,
            campaignId,
            attemptId: current.attemptId,
            contactId: current.contactId,
            status: 'canceled',
            at: now,
          },
          // Closes the attempt.started the claim wrote (no phantom live call); `placed: false` keeps it out
          // of the CRM's call records.
          {
            type: 'attempt.finished',
            portalId,
            campaignId,
            campaignName: campaign.settings.name,
            attemptId: current.attemptId,
            contactId: current.contactId,
            to: current.to,
            from: current.from,
            startedAt: current.dialRequestedAt ?? current.claimedAt,
            durationSec: 0,
            disposition: 'FAILED',
            outcomeLabel: 'Not dialed (its time to dial passed before it was sent); requeued',
            nextState: next.state,
            nextAt: now,
            placed: false,
            at: now,
          },
        ],
        summary: JSON.stringify({ why: 'not-dialed' }),
        ...(current.wrapUp !== undefined ? { wrapUp: current.wrapUp } : {}),
        attempt: current,
      });
      if (result !== 'stale-wrap-up' && result !== 'stale-progress') return;
    }
  }

  /** Timers may fire early (or the clock step): the call never leaves before its slot. */
  private async waitForSlot(notBefore: number | undefined) {
    if (notBefore === undefined) return;
    const { clock } = this.ctx;
    for (let early = notBefore - clock.now(); early > 0; early = notBefore - clock.now()) {
      await clock.sleep(early);
    }
  }

  /**
   * Hands the request to the carrier and records the send time in the rate window: exactly the clock reading
   * taken right before the call, nothing in between, so the carrier's own receive time is that or a hair
   * later (the pacer's guard band covers the hair). Later grants are spaced from this recorded time.
   */
  private dialNow(attempt: AttemptRecord, request: DialRequest) {
    const { store, telephony, clock } = this.ctx;
    let dialing: Promise<{ providerCallId: string }>;
    const sentAt = clock.now();
    try {
      dialing = telephony.dial(request);
    } catch (error) {
      dialing = Promise.reject(error);
    }
    if (attempt.levels.length) {
      this.ctx.track(store.noteDispatched(attempt.portalId, attempt.attemptId, attempt.levels, sentAt));
    }
    return dialing;
  }
}
