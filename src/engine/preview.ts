/**
 * Preview mode and agents: a rep takes the next lead of a preview campaign (a claim held for the preview
 * timeout), then dials or skips it. Dialing re-checks the gate (the claim may be minutes old) and marks the
 * attempt dial-requested with its pacer slots in one atomic store step before the carrier is asked.
 */
import { E164Schema } from '../domain/settings.js';
import { newAttemptId } from './attempt-ids.js';
import { EngineInputError } from './campaigns.js';
import type { CarrierGateway } from './carrier-gateway.js';
import type { ComplianceGate } from './compliance-gate.js';
import type { EngineContext } from './context.js';
import type { EngineEvent } from './events.js';
import type { PaceControl } from './pace-control.js';
import type { Store } from './store/store.js';

/** Due leads a rep's preview picks from at random (so reps racing for the head do not collide). */
const PEEK = 8;

export type PreviewClaim = { claimId: string; contactId: string; to: string; leaseUntil: number };
export type PreviewDial = { ok: true } | { ok: false; reason: string; waitMs?: number };

export class PreviewDesk {
  constructor(
    private readonly ctx: EngineContext,
    private readonly gate: ComplianceGate,
    private readonly gateway: CarrierGateway,
    private readonly pace: PaceControl,
  ) {}

  /** `number`: where the agent answers (E.164), for connect-to `agent`; kept in this process. */
  async setAgentAvailable(
    portalId: string,
    campaignId: string,
    agentId: string,
    available: boolean,
    number?: string,
  ) {
    if (number !== undefined) {
      const parsed = E164Schema.safeParse(number);
      if (!parsed.success)
        throw new EngineInputError(`agent ${agentId} number: ${parsed.error.issues[0]!.message}`);
      this.ctx.agentPhones.set(`${portalId}/${agentId}`, parsed.data);
    }
    await this.ctx.store.setAgentAvailable(portalId, campaignId, agentId, available);
    // the same agent's presence: logged in to (or out of) this campaign
    const current = await this.ctx.store.getAgent(portalId, agentId);
    const others = (current?.campaigns ?? []).filter((c) => c.campaignId !== campaignId);
    const campaigns = available ? [...others, { campaignId, priority: 1 }] : others;
    const state =
      available || (others.length > 0 && current?.state === 'available') ? 'available' : 'offline';
    await this.ctx.store.setAgentPresence(portalId, agentId, { state, campaigns }, this.ctx.clock.now());
  }

  /** A rep takes the next lead of a preview campaign; the claim is held for previewTimeoutSec. */
  async claimPreview(portalId: string, campaignId: string, agentId: string): Promise<PreviewClaim | null> {
    const { store, clock, timings } = this.ctx;
    const campaign = await this.ctx.campaigns.get(portalId, campaignId);
    const mode = campaign.settings.dialMode;
    if (mode.mode !== 'preview') throw new Error(`campaign ${campaignId} is not a preview campaign`);
    for (let tries = 0; tries < 20; tries++) {
      const now = clock.now();
      const due = await store.peekDue(portalId, campaignId, now, PEEK);
      if (!due.length) return null;
      const lead = due[Math.floor(this.ctx.random() * due.length)]!;
      const numberDials = await store.recentDials(portalId, [lead.e164], now);
      if ((await this.gate.preDialCheck(campaign, lead, now, numberDials.get(lead.e164))) !== 'ok') continue;
      const claim = await store.claim({
        portalId,
        campaignId,
        contactId: lead.contactId,
        expectRev: lead.rev,
        attemptId: newAttemptId(portalId),
        from: this.ctx.chooseCallerId(campaign.settings, lead.e164),
        now,
        leaseUntil: now + mode.previewTimeoutSec * 1000,
        maxLive: null,
        busyRetryMs: timings.busyRetryMs,
        lockBoundMs: timings.maxCallDurationMs,
        amd: campaign.settings.amd.detection !== 'off',
        agentId,
        localHour: await this.gate.localHourOf(campaign, lead, now),
        numberLimits: await this.gate.numberLimitsFor(campaign, lead),
      });
      if (claim.ok) {
        const a = claim.attempt;
        this.ctx.leases.note(portalId, a.leaseUntil, true);
        return { claimId: a.attemptId, contactId: a.contactId, to: a.to, leaseUntil: a.leaseUntil };
      }
      if (claim.reason === 'inactive') return null;
    }
    return null;
  }

  /**
   * The rep dials the previewed lead: pacer slots are taken now. The claim may be up to previewTimeoutSec old,
   * so the gate's "may I call now?" (window, legal hours, gap, cap) runs again here and the store re-checks
   * the rest atomically with the mark; a refused claim goes back to the queue (or to when it may be called).
   */
  async dialPreview(portalId: string, claimId: string): Promise<PreviewDial> {
    const { store, clock } = this.ctx;
    const attempt = await store.getAttempt(portalId, claimId);
    if (!attempt || attempt.state !== 'claimed')
      return { ok: false, reason: 'claim expired or already used' };
    const campaign = await this.ctx.campaigns.get(portalId, attempt.campaignId);
    const now = clock.now();
    const lead = await store.getLead(portalId, attempt.campaignId, attempt.contactId);
    if (lead) {
      const verdict = await this.gate.recheckClaim(campaign, lead, attempt.to, now);
      if (!verdict.ok) {
        // a lead that may never be called again is failed by the next claim's pre-dial check
        await store.requeueClaimed(portalId, claimId, verdict.nextAt ?? now, now);
        return {
          ok: false,
          reason: verdict.reason,
          ...(verdict.nextAt !== null ? { waitMs: verdict.nextAt - now } : {}),
        };
      }
    }
    // attempt.started goes in the same atomic step as the mark: a re-sent mark cannot append it twice
    const started: EngineEvent = {
      type: 'attempt.started',
      portalId,
      campaignId: attempt.campaignId,
      attemptId: attempt.attemptId,
      contactId: attempt.contactId,
      to: attempt.to,
      from: attempt.from,
      attempt: attempt.ordinal,
      dueAt: attempt.dueAt,
      at: now,
    };
    const leaseUntil = this.gateway.dialLease(campaign.settings, now);
    const pace = this.pace.levelsFor(portalId, attempt.from);
    let marked: Awaited<ReturnType<Store['markDialRequested']>>;
    try {
      marked = await store.markDialRequested(
        portalId,
        claimId,
        now,
        leaseUntil,
        [started],
        pace,
        await this.gate.numberLimitsFor(campaign, lead ?? { e164: attempt.to }),
      );
    } catch (error) {
      // the reply may be lost after the mark ran: then the attempt is ours to dial
      const after = await store.getAttempt(portalId, claimId).catch(() => null);
      if (after?.state !== 'dial-requested' || after.dialRequestedAt !== now) throw error;
      marked = { ok: true };
    }
    if (marked.ok) this.ctx.leases.note(portalId, leaseUntil, true);
    if (!marked.ok && marked.reason !== 'paced' && marked.reason !== 'not-claimed') {
      // refused for good (DNC, removed, paused, expired, ...): the claim is undone, the next claim decides
      const at = marked.reason === 'number-limit' ? now + (marked.waitMs ?? 0) : now;
      await store.requeueClaimed(portalId, claimId, at, now);
    }
    if (!marked.ok)
      return {
        ok: false,
        reason: marked.reason,
        ...(marked.waitMs !== undefined ? { waitMs: marked.waitMs } : {}),
      };
    const levels = pace.map((l) => (l.name === 'campaign' ? `c:${attempt.campaignId}` : l.name));
    await this.gateway.sendMarked(campaign, { ...attempt, state: 'dial-requested', levels });
    return { ok: true };
  }

  /** The rep skips the previewed lead: it goes back to the queue untouched. */
  async skipPreview(portalId: string, claimId: string): Promise<boolean> {
    const now = this.ctx.clock.now();
    return this.ctx.store.requeueClaimed(portalId, claimId, now, now);
  }
}
