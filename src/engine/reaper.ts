/**
 * Recovers attempts whose lease ended (any worker of any process runs it): a claim that never reached the
 * carrier goes back to the queue; a call with its final status waiting for a late AMD verdict is finished; a
 * silent call is looked up at the carrier before it is presumed lost. An answered call's lease is one silence
 * period when the carrier can be asked (see CallOutcomes), so a lost final callback is recovered from the carrier
 * within minutes, asked again every silence period (or STATUS_RETRY_MS after a failed look) until it answers.
 */
import { foldCallEvent, initialProgress, isFinal } from '../domain/call-progress.js';
import type { CallProgress } from '../domain/call-progress.js';
import { isFinalStatus } from '../domain/call.js';
import type { CallEvent } from '../telephony/telephony.js';
import type { CallOutcomes } from './call-outcome.js';
import type { EngineContext } from './context.js';
import type { AttemptRecord } from './store/store.js';

/** The reaper asks the carrier again this much later when it could not tell whether a call is still live. */
const STATUS_RETRY_MS = 30_000;

export class Reaper {
  constructor(
    private readonly ctx: EngineContext,
    private readonly outcomes: CallOutcomes,
  ) {}

  /** Recovers expired leases. Returns the next lease expiry. */
  async reap(portalId: string): Promise<number> {
    const { store, clock } = this.ctx;
    const now = clock.now();
    const expired = await store.expiredAttempts(portalId, now, 100);
    for (const attemptId of expired) {
      const attempt = await store.getAttempt(portalId, attemptId);
      if (!attempt || attempt.state === 'finished') continue;
      if (attempt.state === 'claimed') {
        // never reached the carrier: as if never claimed
        await store.requeueClaimed(portalId, attemptId, now, now);
        continue;
      }
      const progress: CallProgress | null = attempt.progress ? JSON.parse(attempt.progress) : null;
      if (progress && isFinal(progress)) {
        await this.outcomes.finalize(portalId, attemptId, progress, 'amd-grace', attempt);
        continue;
      }
      if (await this.askCarrier(attempt, progress, now)) continue;
      await this.outcomes.finalize(portalId, attemptId, progress, 'lost', attempt);
    }
    await this.reportQueueDepths(portalId);
    return (await store.nextLeaseExpiry(portalId)) ?? Infinity;
  }

  /**
   * Before a silent call is presumed lost, asks the carrier (when the adapter can and the call id is known):
   * a final status found there is handled as its callback would have been; a call still queued, ringing or
   * live keeps its contact and slots, its lease extended by another silence period; a carrier that cannot
   * answer is asked again shortly. Returns false when the call is to be finalized as lost: the carrier does not
   * know it, or it has been silent longer than the longest call.
   */
  private async askCarrier(attempt: AttemptRecord, progress: CallProgress | null, now: number) {
    const { store, telephony, timings } = this.ctx;
    const callId = attempt.providerCallId || progress?.providerCallId;
    if (!telephony.fetchStatus || !callId) return false;
    const placedAt = attempt.dialRequestedAt ?? attempt.claimedAt;
    if (now - placedAt > timings.maxCallDurationMs) return false;
    const current = progress ?? initialProgress();
    let lease = now + STATUS_RETRY_MS;
    let folded = current;
    try {
      const snapshot = await telephony.fetchStatus(callId);
      if (!snapshot) return false;
      const event: CallEvent = {
        type: 'status',
        attemptId: attempt.attemptId,
        providerCallId: callId,
        status: snapshot.status,
        ...(snapshot.durationSec !== undefined ? { durationSec: snapshot.durationSec } : {}),
        ...(snapshot.errorCode !== undefined ? { errorCode: snapshot.errorCode } : {}),
        ...(snapshot.sipResponseCode !== undefined ? { sipResponseCode: snapshot.sipResponseCode } : {}),
        at: now,
      };
      if (snapshot.answeredBy !== undefined && attempt.amd) {
        await this.outcomes.handleCallEvent({
          type: 'amd',
          attemptId: attempt.attemptId,
          providerCallId: callId,
          answeredBy: snapshot.answeredBy,
          at: now,
        });
      }
      if (isFinalStatus(snapshot.status)) {
        await this.outcomes.handleCallEvent(event);
        return true;
      }
      folded = foldCallEvent(current, event);
      lease = now + timings.callbackSilenceMs;
    } catch (error) {
      this.ctx.onError(error);
    }
    const fresh = (await store.getAttempt(attempt.portalId, attempt.attemptId)) ?? attempt;
    if (fresh.state === 'finished') return true;
    const base: CallProgress = fresh.progress ? JSON.parse(fresh.progress) : current;
    const next = fresh.rev === attempt.rev ? folded : base;
    await store.saveProgress(
      attempt.portalId,
      attempt.attemptId,
      fresh.rev,
      JSON.stringify(next),
      lease,
      [],
      fresh.levels,
    );
    return true;
  }

  /** One ZCARD per active campaign, from the reaper's pass (at most once a second). */
  private async reportQueueDepths(portalId: string) {
    for (const campaign of await this.ctx.listCampaigns(portalId)) {
      if (campaign.status !== 'active') continue;
      const depth = await this.ctx.store.dueCount(portalId, campaign.campaignId);
      this.ctx.observer.queueDepth(portalId, campaign.campaignId, depth);
    }
  }
}
