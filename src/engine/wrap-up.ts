/**
 * A rep's wrap-up of an attempt: disposition, notes, do-not-call, wrong number or "call me later". Kept on the
 * attempt until its final status (the finish applies it), or applied at once to a finished attempt.
 */
import type { CallProgress } from '../domain/call-progress.js';
import { applyWrapUp } from '../domain/outcome.js';
import type { WrapUp } from '../domain/outcome.js';
import { decideAfterAttempt } from '../domain/policy.js';
import type { AgentDesk } from './agent-desk.js';
import { classifyAttempt } from './call-outcome.js';
import { EngineInputError } from './campaigns.js';
import type { ComplianceGate } from './compliance-gate.js';
import type { EngineContext } from './context.js';
import type { EngineEvent, LeadState } from './events.js';
import { historyOf, leadContext } from './lead-context.js';
import type { AttemptRecord, LeadView } from './store/store.js';

/** One spelling per wrap-up, so "the same wrap-up again" is a string comparison in the store. */
function canonicalWrapUp(w: WrapUp): string {
  return JSON.stringify({
    ...(w.disposition !== undefined ? { disposition: w.disposition } : {}),
    ...(w.notes !== undefined && w.notes !== '' ? { notes: w.notes } : {}),
    ...(w.doNotCall ? { doNotCall: true } : {}),
    ...(w.wrongNumber ? { wrongNumber: true } : {}),
    ...(w.callbackAt !== undefined ? { callbackAt: w.callbackAt } : {}),
  });
}

export class WrapUps {
  constructor(
    private readonly ctx: EngineContext,
    private readonly gate: ComplianceGate,
    /** Agents' campaigns: the agent who took the call is available again once its wrap-up is recorded. */
    private readonly agents?: AgentDesk,
  ) {}

  /** See `record`; then the agent who took the call (agents' campaigns) is free for the next one. */
  async wrapUp(portalId: string, attemptId: string, wrap: WrapUp): Promise<void> {
    await this.record(portalId, attemptId, wrap);
    await this.agents?.wrapUpArrived(portalId, attemptId);
  }

  /**
   * A rep's wrap-up: DNC (portal DNC set first, then the contact ends `dnc`), wrong number (failed), call me
   * later (retry at that time, still inside the window), or a disposition. Before the final status it is kept
   * on the attempt and the finish applies it (one attempt.finished carrying it); after, it applies now with one
   * attempt.wrapped-up event. One wrap-up per attempt: the same again is a no-op, a different one an error.
   */
  private async record(portalId: string, attemptId: string, wrap: WrapUp): Promise<void> {
    if (wrap.callbackAt !== undefined && !Number.isFinite(wrap.callbackAt)) {
      throw new EngineInputError('wrap-up callbackAt must be a time (epoch ms)');
    }
    const json = canonicalWrapUp(wrap);
    const isDnc = wrap.doNotCall === true || wrap.disposition === 'DO_NOT_CALL';
    for (let tries = 0; tries < 10; tries++) {
      const attempt = await this.ctx.store.getAttempt(portalId, attemptId);
      if (!attempt) throw new EngineInputError(`attempt ${attemptId} not found`);
      if (attempt.wrapUp !== undefined) {
        if (attempt.wrapUp === json) return; // the same wrap-up again: nothing to do
        throw new EngineInputError(`attempt ${attemptId} already has a different wrap-up`);
      }
      const lead = await this.ctx.store.getLead(portalId, attempt.campaignId, attempt.contactId);
      if (!lead)
        throw new EngineInputError(`contact ${attempt.contactId} is not in campaign ${attempt.campaignId}`);
      if (lead.progress.attemptId !== attemptId) {
        throw new EngineInputError(`attempt ${attemptId} is not the contact's latest attempt`);
      }
      // Safety first: no campaign dials the number again from this moment, whatever happens next.
      if (isDnc) await this.ctx.store.addDoNotCall(portalId, [attempt.to]);
      if (attempt.state !== 'finished') {
        const saved = await this.ctx.store.wrapUpAttempt({
          mode: 'pending',
          portalId,
          attemptId,
          wrapUp: json,
        });
        if (saved === 'saved' || saved === 'same') return;
        if (saved === 'conflict')
          throw new EngineInputError(`attempt ${attemptId} already has a different wrap-up`);
        continue; // it finished meanwhile: apply it as a finished attempt's
      }
      if (lead.progress.state === 'removed') {
        throw new EngineInputError(`contact ${attempt.contactId} was removed from the campaign`);
      }
      const applied = await this.applyFinishedWrapUp(attempt, lead, wrap, json);
      if (applied === 'applied' || applied === 'same') return;
      if (applied === 'conflict')
        throw new EngineInputError(`attempt ${attemptId} already has a different wrap-up`);
      // 'changed': the lead moved since it was read: read again
    }
    throw new Error(`contact changed during the wrap-up of ${attemptId}; try again`);
  }

  private async applyFinishedWrapUp(attempt: AttemptRecord, lead: LeadView, wrap: WrapUp, json: string) {
    const { portalId, campaignId, attemptId } = attempt;
    const campaign = await this.ctx.campaigns.get(portalId, campaignId);
    const progress: CallProgress | null = attempt.progress ? JSON.parse(attempt.progress) : null;
    // this attempt's own 13224 is already counted on the lead
    const prior = Math.max(0, (lead.progress.likelyInvalid ?? 0) - (progress?.errorCode === 13224 ? 1 : 0));
    const c = applyWrapUp(classifyAttempt(campaign.settings, progress, prior), wrap);
    const now = this.ctx.clock.now();
    // The attempt was already counted when it finished; only the lead's next state changes here.
    const ctx = leadContext(
      campaign.settings,
      this.ctx.campaigns.account(portalId),
      await this.gate.locationFor(lead),
      historyOf(lead.progress),
    );
    const decision = decideAfterAttempt(now, c, ctx, this.ctx.random);
    const state: LeadState =
      decision.state === 'reached'
        ? 'reached'
        : decision.state === 'failed'
          ? 'failed'
          : decision.state === 'dnc'
            ? 'dnc'
            : 'retrying';
    const nextAt = decision.state === 'retry' || decision.state === 'paused-retry' ? decision.at : null;
    const event: EngineEvent = {
      type: 'attempt.wrapped-up',
      portalId,
      campaignId,
      attemptId,
      contactId: attempt.contactId,
      to: attempt.to,
      disposition: c.disposition,
      category: c.category,
      outcomeLabel: c.label,
      ...(wrap.notes ? { notes: wrap.notes } : {}),
      ...(state === 'dnc' ? { doNotCall: true } : {}),
      ...(c.category === 'WRONG_NUMBER' ? { wrongNumber: true } : {}),
      nextState: state,
      ...(nextAt !== null ? { nextAt } : {}),
      // the carrier never gave this attempt a call (it was never sent, or refused): no CRM call record exists.
      // (A call whose dial mark and every callback were lost reads the same; its record keeps the finish's outcome.)
      ...(!attempt.providerCallId && !progress?.providerCallId ? { placed: false as const } : {}),
      at: now,
    };
    return this.ctx.store.wrapUpAttempt({
      mode: 'apply',
      portalId,
      attemptId,
      wrapUp: json,
      campaignId,
      contactId: attempt.contactId,
      expectRev: lead.rev,
      lead: { ...lead.progress, state },
      dueAt: nextAt,
      ...(state === 'dnc' ? { dncNumber: attempt.to } : {}),
      events: [event],
    });
  }
}
