/**
 * How fast a portal may dial: the pacer's levels for a grant (campaign, telephony account, caller-ID number),
 * and the live pace cut when the carrier says it had to queue our calls.
 */
import { suggestPaceAfterQueueing } from '../telephony/twilio/caller-id.js';
import { portalOfAttempt } from './attempt-ids.js';
import type { EngineContext, EngineLimits } from './context.js';
import type { PaceLevel } from './store/store.js';

/** Queueing warnings come in bursts: one pace cut per campaign per this long. */
const PACE_CUT_COOLDOWN_MS = 5000;

/** A carrier's warning about our dialing (Twilio queued calls placed above the account's rate). */
export interface TelephonyWarning {
  code: 'TWILIO_QUEUEING';
  attemptId?: string;
  queueTimeMs?: number;
  message: string;
}

/** The pacer levels a dial from `from` takes a slot in, in the order the store grants them. */
export function paceLevels(limits: EngineLimits, from: string): PaceLevel[] {
  return [
    // limits of the campaign level are read from the campaign record inside the store, on every grant
    { name: 'campaign', callsPerSecond: 0, maxConcurrent: 0 },
    {
      name: 'acct',
      callsPerSecond: limits.account.callsPerSecond,
      maxConcurrent: limits.account.maxConcurrentCalls,
    },
    {
      name: `n:${from}`,
      callsPerSecond: limits.callerId.callsPerSecond,
      maxConcurrent: limits.callerId.maxConcurrentCalls,
    },
  ];
}

export class PaceControl {
  /** Per portal/campaign: when the pace was last lowered after a carrier warning. */
  private readonly lastPaceCut = new Map<string, number>();

  constructor(private readonly ctx: EngineContext) {}

  levelsFor(portalId: string, from: string): PaceLevel[] {
    return paceLevels(this.ctx.limits(portalId), from);
  }

  /**
   * The carrier queued our calls (we dial above the account's rate): lower the attempt's campaign pace live,
   * by how long the calls waited. Warnings come in bursts: at most one cut per campaign every few seconds (per
   * process). Returns the change made, or null when none was needed.
   */
  async handleTelephonyWarning(
    w: TelephonyWarning,
  ): Promise<{ portalId: string; campaignId: string; fromCps: number; toCps: number } | null> {
    const { store, clock, campaigns, observer } = this.ctx;
    if (w.code !== 'TWILIO_QUEUEING' || !w.attemptId) return null;
    const portalId = portalOfAttempt(w.attemptId);
    if (!portalId) return null;
    const attempt = await store.getAttempt(portalId, w.attemptId);
    if (!attempt) return null;
    const { campaignId } = attempt;
    const key = `${portalId}/${campaignId}`;
    const now = clock.now();
    const last = this.lastPaceCut.get(key);
    if (last !== undefined && now - last < PACE_CUT_COOLDOWN_MS) return null;
    this.lastPaceCut.set(key, now); // before any await: the rest of a burst stops here
    const campaign = await campaigns.get(portalId, campaignId);
    const fromCps = campaign.settings.pace.callsPerSecond;
    const toCps = suggestPaceAfterQueueing(fromCps, w.queueTimeMs ?? 0);
    if (!(toCps < fromCps)) return null;
    await campaigns.setPace(portalId, campaignId, { ...campaign.settings.pace, callsPerSecond: toCps });
    const reason = `Twilio queued calls${w.queueTimeMs ? ` for ${w.queueTimeMs} ms` : ''}: ${w.message}`;
    await store.append(portalId, {
      type: 'campaign.alert',
      portalId,
      campaignId,
      level: 'warning',
      message: `${reason}; pace lowered from ${fromCps} to ${toCps} calls/s`,
      code: w.code,
      at: now,
    });
    observer.paceLowered(portalId, campaignId, fromCps, toCps, reason);
    return { portalId, campaignId, fromCps, toCps };
  }
}
