/**
 * What happened to a call and what it means: folds the carrier's events into the attempt's progress (idempotent
 * and order-tolerant), classifies the result, applies the retry policy and a rep's pending wrap-up, and writes
 * the outcome in one atomic finish. A late final status of an attempt already finished as lost becomes a
 * correction of its CRM record.
 */
import { foldCallEvent, initialProgress, isFinal, toCallResult } from '../domain/call-progress.js';
import type { CallProgress } from '../domain/call-progress.js';
import { applyWrapUp, classifyOutcome } from '../domain/outcome.js';
import type { CallResultFlow, Classification, WrapUp } from '../domain/outcome.js';
import { decideAfterAttempt } from '../domain/policy.js';
import { recordAttempt } from '../domain/retry.js';
import type { CampaignSettings } from '../domain/settings.js';
import type { CallEvent } from '../telephony/telephony.js';
import type { AgentDesk } from './agent-desk.js';
import { portalOfAttempt } from './attempt-ids.js';
import { flowKind, routesToAgents } from './call-flow.js';
import type { ComplianceGate } from './compliance-gate.js';
import type { EngineContext } from './context.js';
import type { EngineEvent, LeadState } from './events.js';
import { historyOf, leadContext, withHistory } from './lead-context.js';
import type { LeadProgress } from './store/codec.js';
import type { AttemptRecord, CampaignRecord, FinishResult, LeadView } from './store/store.js';

/** A final status folded into the finish itself: the progress to save, over the revision it was folded from. */
interface ProgressFold {
  progress: string;
  expectRev: number;
  events: EngineEvent[];
}

/** Why an attempt is being finished (kept in its summary). */
export type FinishReason = 'final-status' | 'dial-error' | 'lost' | 'amd-grace';

/** Field-by-field equality of two folded progresses (no JSON of the whole record on the callback path). */
function sameProgress(a: CallProgress, b: CallProgress): boolean {
  const keys = Object.keys(a) as (keyof CallProgress)[];
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => {
    const x = a[k];
    const y = b[k];
    return x === y || (typeof x === 'object' && JSON.stringify(x) === JSON.stringify(y));
  });
}

const isLikelyInvalid = (c: Classification) =>
  c.category === 'LIKELY_INVALID' || c.category === 'LIKELY_INVALID_REPEATED';

/**
 * Whether an event is about the attempt's own call: its CallSid is the one the carrier gave the dial (or, before
 * that reply is recorded, the one its first callbacks carried). A callback under the attempt's id with another
 * call's SID (misrouted, replayed from another account, forged) is ignored: it must not finish or change the
 * attempt. Events the engine makes itself carry no call id and always count.
 */
function isOwnCall(attempt: AttemptRecord, progress: CallProgress, event: CallEvent): boolean {
  if (!event.providerCallId) return true;
  const own = attempt.providerCallId || progress.providerCallId;
  return !own || own === event.providerCallId;
}

/**
 * Whether an agents'-campaign call is now with a person an agent should take: answered, still up, and (with
 * AMD) judged human, or a machine the campaign connects anyway.
 */
export function judgedForAgent(p: CallProgress, amd: boolean, settings: CampaignSettings): boolean {
  if (!p.answered || isFinal(p)) return false;
  if (!amd) return true;
  const by = p.answeredBy;
  if (by === undefined || by === 'fax') return false;
  return !by.startsWith('machine') || settings.amd.onMachine === 'connect';
}

/** The classification of an attempt's result; no final status at all is a technical error ("lost"). */
export function classifyAttempt(
  settings: CampaignSettings,
  progress: CallProgress | null,
  priorLikelyInvalid: number,
  /** The flow the call actually took when the campaign's own does not say it (an abandoned agents' call). */
  flow?: CallResultFlow,
): Classification {
  if (progress && isFinal(progress)) {
    const machine = progress.answeredBy?.startsWith('machine_end') ?? false;
    return classifyOutcome(
      toCallResult(progress, flow ?? flowKind(settings), {
        voicemailDropped: settings.amd.onMachine === 'drop-voicemail' && machine,
        priorLikelyInvalid,
      }),
    );
  }
  return {
    category: 'CARRIER_ERROR',
    effect: { kind: 'retry', technicalError: true },
    disposition: 'FAILED',
    label: 'No final call status (lost)',
  };
}

export class CallOutcomes {
  constructor(
    private readonly ctx: EngineContext,
    private readonly gate: ComplianceGate,
    /** Agents' campaigns: routes answered calls to agents and moves them to wrap-up at the finish. */
    private readonly agents?: AgentDesk,
  ) {}

  /** An agents'-campaign call just became one for an agent: route it (in the background: it may wait 2 s). */
  private async routeIfJudged(
    attempt: AttemptRecord,
    before: CallProgress,
    after: CallProgress,
    callId: string,
  ) {
    const campaign = await this.ctx.campaignCache.get(attempt.portalId, attempt.campaignId);
    if (!campaign || !this.agents || !routesToAgents(campaign.settings)) return;
    const { settings } = campaign;
    if (!judgedForAgent(after, attempt.amd, settings) || judgedForAgent(before, attempt.amd, settings))
      return;
    await this.agents.routeAnswered(campaign, attempt, callId);
  }

  /**
   * An answered call sends no callbacks until it ends, so its final callback can only be missed by silence.
   * With a carrier the reaper can ask (fetchStatus), the lease is one silence period: the reaper then asks
   * the carrier every silence period while the call lasts, and finishes it with its real outcome as soon as the
   * carrier reports it ended (issue 9 #6). Without one, the longest call.
   */
  private answeredLease(now: number): number {
    const { telephony, timings } = this.ctx;
    return now + (telephony.fetchStatus ? timings.callbackSilenceMs : timings.maxCallDurationMs);
  }

  /**
   * Idempotent and order-tolerant: duplicates and late events after the finish are ignored, except a final
   * status of an attempt finished as lost, which corrects its CRM record.
   */
  async handleCallEvent(event: CallEvent): Promise<void> {
    const portalId = portalOfAttempt(event.attemptId);
    if (!portalId) return;
    for (;;) {
      const attempt = await this.ctx.store.getAttempt(portalId, event.attemptId);
      if (!attempt) return;
      const before: CallProgress = attempt.progress ? JSON.parse(attempt.progress) : initialProgress();
      if (!isOwnCall(attempt, before, event)) return;
      if (attempt.state === 'finished') {
        await this.correctLostAttempt(attempt, event);
        return;
      }
      const after = foldCallEvent(before, event);
      const now = this.ctx.clock.now();
      const changed = !sameProgress(before, after);
      const awaitingAmd = attempt.amd && after.answered && after.answeredBy === undefined;
      const lease = isFinal(after)
        ? now + this.ctx.timings.amdGraceMs
        : after.status === 'in-progress'
          ? this.answeredLease(now)
          : Math.max(attempt.leaseUntil, now + this.ctx.timings.callbackSilenceMs);
      if (changed) {
        const statusEvents: EngineEvent[] =
          event.type === 'status' && after.status !== before.status && after.status !== 'none'
            ? [
                {
                  type: 'attempt.status',
                  portalId,
                  campaignId: attempt.campaignId,
                  attemptId: attempt.attemptId,
                  contactId: attempt.contactId,
                  status: after.status,
                  at: now,
                },
              ]
            : [];
        const progress = JSON.stringify(after);
        if (isFinal(after) && !awaitingAmd) {
          // The final status is news: save it and finish in one atomic step (one round trip, not two).
          const fold = { progress, expectRev: attempt.rev, events: statusEvents };
          const done = await this.finalize(portalId, attempt.attemptId, after, 'final-status', attempt, fold);
          if (done === 'stale-progress') continue; // another callback won the race: fold again over its result
          return;
        }
        const saved = await this.ctx.store.saveProgress(
          portalId,
          attempt.attemptId,
          attempt.rev,
          progress,
          lease,
          statusEvents,
          attempt.levels,
        );
        if (!saved) continue; // another callback won the race: fold again over its result
        attempt.progress = progress;
        attempt.rev++;
        attempt.leaseUntil = lease;
        // only the AMD grace after a final status can end a lease earlier than the reaper expects
        this.ctx.leases.note(portalId, lease, true);
        const callId = event.providerCallId || attempt.providerCallId;
        if (this.agents && after.answered && callId) {
          this.ctx.track(this.routeIfJudged(attempt, before, after, callId));
        }
      }
      // With AMD requested, a final status without its verdict waits a grace period (the reaper finalizes).
      if (isFinal(after) && !awaitingAmd)
        await this.finalize(portalId, attempt.attemptId, after, 'final-status', attempt);
      return;
    }
  }

  /**
   * Builds the result, classifies it, applies the retry policy and writes it all in one atomic finish. A rep's
   * wrap-up saved before the final status is applied in the same finish.
   * `lost`: no final status arrived before the lease ended: a technical error, counted, retried per policy.
   */
  async finalize(
    portalId: string,
    attemptId: string,
    progress: CallProgress | null,
    why: FinishReason,
    known?: AttemptRecord,
    fold?: ProgressFold,
  ): Promise<FinishResult | null> {
    let hint = known;
    let agentCall: { abandoned: boolean } | undefined;
    for (let tries = 0; tries < 10; tries++) {
      const attempt = hint ?? (await this.ctx.store.getAttempt(portalId, attemptId));
      hint = undefined;
      if (!attempt || attempt.state === 'finished') return null;
      const campaign = await this.ctx.campaignCache.get(portalId, attempt.campaignId);
      const lead = await this.ctx.store.getLead(portalId, attempt.campaignId, attempt.contactId);
      if (!campaign || !lead) return null;
      // the agent who took the call starts its wrap-up; an abandoned call is classified as such
      agentCall ??= this.agents ? await this.agents.callEnded(campaign, attempt) : { abandoned: false };
      const base = classifyAttempt(
        campaign.settings,
        progress,
        lead.progress.likelyInvalid ?? 0,
        agentCall.abandoned ? 'safe-harbor' : undefined,
      );
      const wrap = attempt.wrapUp ? (JSON.parse(attempt.wrapUp) as WrapUp) : undefined;
      const classification = wrap ? applyWrapUp(base, wrap) : base;
      const result = await this.writeOutcome(
        campaign,
        attempt,
        lead,
        classification,
        progress,
        why,
        wrap,
        isLikelyInvalid(base),
        fold,
      );
      // a rep saved a wrap-up meanwhile: classify again with it
      if (result !== 'stale-wrap-up') return result;
    }
    throw new Error(`attempt ${attemptId} could not be finished: its wrap-up keeps changing`);
  }

  private async writeOutcome(
    campaign: CampaignRecord,
    attempt: AttemptRecord,
    lead: LeadView,
    classification: Classification,
    progress: CallProgress | null,
    why: string,
    wrapUp: WrapUp | undefined,
    likelyInvalid: boolean,
    fold?: ProgressFold,
  ): Promise<FinishResult> {
    const now = this.ctx.clock.now();
    const { portalId, campaignId, settings } = campaign;
    const account = this.ctx.campaigns.account(portalId);
    const effect = classification.effect;
    const counted = effect.kind !== 'pause-campaign';
    const prior = historyOf(lead.progress);
    const attemptAt = attempt.dialRequestedAt ?? attempt.claimedAt;
    const history = counted
      ? recordAttempt(prior, attemptAt, effect.kind === 'retry' && effect.technicalError)
      : prior;
    const ctx = leadContext(settings, account, await this.gate.locationFor(lead), history);
    const decision = decideAfterAttempt(now, classification, ctx, this.ctx.random);
    let state: LeadState;
    let nextAt: number | null = null;
    switch (decision.state) {
      case 'reached':
        state = 'reached';
        break;
      case 'retry':
        state = 'retrying';
        nextAt = decision.at;
        break;
      case 'paused-retry':
        state = 'retrying';
        nextAt = decision.at;
        break;
      case 'failed':
        state = 'failed';
        break;
      case 'dnc':
        state = 'dnc';
        break;
    }
    const next: LeadProgress = {
      ...withHistory(lead.progress, history),
      state,
      attemptId: attempt.attemptId,
      ...(likelyInvalid ? { likelyInvalid: (lead.progress.likelyInvalid ?? 0) + 1 } : {}),
    };
    const events: EngineEvent[] = [
      {
        type: 'attempt.finished',
        portalId,
        campaignId,
        campaignName: settings.name,
        attemptId: attempt.attemptId,
        contactId: attempt.contactId,
        to: attempt.to,
        from: attempt.from,
        startedAt: attemptAt,
        durationSec: progress?.durationSec ?? 0,
        disposition: classification.disposition,
        category: classification.category,
        outcomeLabel: classification.label,
        nextState: state,
        ...(nextAt !== null ? { nextAt } : {}),
        ...(attempt.localHour !== undefined ? { localHour: attempt.localHour } : {}),
        ...(progress?.recordingUrl ? { recordingUrl: progress.recordingUrl } : {}),
        ...(progress?.providerCallId || attempt.providerCallId
          ? { providerCallId: progress?.providerCallId || attempt.providerCallId }
          : {}),
        // the carrier refused the dial outright: no call took place
        ...(why === 'dial-error' ? { placed: false as const } : {}),
        ...(state === 'dnc' ? { doNotCall: true } : {}),
        ...(wrapUp?.wrongNumber || classification.category === 'WRONG_NUMBER' ? { wrongNumber: true } : {}),
        ...(wrapUp?.notes ? { notes: wrapUp.notes } : {}),
        at: now,
      },
    ];
    if (decision.state === 'paused-retry') {
      events.push(
        {
          type: 'campaign.alert',
          portalId,
          campaignId,
          level: 'error',
          message: decision.alert,
          code: String(decision.code),
          at: now,
        },
        {
          type: 'campaign.status',
          portalId,
          campaignId,
          from: campaign.status,
          to: 'paused',
          why: decision.alert,
          at: now,
        },
      );
    }
    const result = await this.ctx.store.finishAttempt({
      portalId,
      attemptId: attempt.attemptId,
      now,
      lead: next,
      nextAt,
      ...(state === 'dnc' ? { dncNumber: attempt.to } : {}),
      pauseCampaign: decision.state === 'paused-retry',
      events: fold ? [...fold.events, ...events] : events,
      ...(fold ? { progress: fold.progress, expectRev: fold.expectRev } : {}),
      summary: JSON.stringify({
        why,
        category: classification.category,
        disposition: classification.disposition,
      }),
      ...(attempt.wrapUp ? { wrapUp: attempt.wrapUp } : {}),
      attempt,
    });
    if (result === 'finished') {
      this.ctx.observer.attemptFinished(
        portalId,
        campaignId,
        classification.disposition,
        classification.category,
      );
    }
    return result;
  }

  /**
   * A callback for an attempt already finished. Finished as lost (no final status folded), its real final
   * status is news: an `attempt.corrected` event carries it to the CRM record. The lead is left as decided
   * then. Repeated late callbacks append the same correction again, which its consumers apply idempotently.
   */
  private async correctLostAttempt(attempt: AttemptRecord, event: CallEvent) {
    const before: CallProgress | null = attempt.progress ? JSON.parse(attempt.progress) : null;
    if (before && isFinal(before)) return;
    const after = foldCallEvent(before ?? initialProgress(), event);
    if (!isFinal(after) || after.status === 'none') return;
    const { portalId, campaignId } = attempt;
    const campaign = await this.ctx.campaignCache.get(portalId, campaignId);
    if (!campaign) return;
    const c = classifyAttempt(campaign.settings, after, 0);
    const providerCallId = after.providerCallId || attempt.providerCallId;
    await this.ctx.store.append(portalId, {
      type: 'attempt.corrected',
      portalId,
      campaignId,
      attemptId: attempt.attemptId,
      contactId: attempt.contactId,
      to: attempt.to,
      status: after.status,
      durationSec: after.durationSec ?? 0,
      disposition: c.disposition,
      category: c.category,
      outcomeLabel: c.label,
      ...(providerCallId ? { providerCallId } : {}),
      at: this.ctx.clock.now(),
    });
  }
}
