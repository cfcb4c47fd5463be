/**
 * The dialing engine: worker loop, call-event sink, reaper, preview and wrap-up.
 *
 * Dispatch is event-driven: a worker sleeps until the earliest of (next due lead, pacer slot, lease expiry) or a
 * wake-up (enroll, resume, pace change, a finished call), never on a fixed poll. Any number of workers may run
 * over one Redis store: every decision that must be exclusive is one atomic store call.
 *
 * Attempt states: claimed -> dial-requested -> dialed -> finished. `dial-requested` is written BEFORE the carrier
 * is asked, so after a crash an attempt that may have reached the carrier is never dialed again: it waits for its
 * callbacks until its lease ends, then is finalized as a technical error and the lead follows its retry policy.
 */
import { randomBytes } from 'node:crypto';
import { foldCallEvent, initialProgress, isFinal, toCallResult } from '../domain/call-progress.js';
import type { CallProgress } from '../domain/call-progress.js';
import { applyWrapUp, classifyOutcome } from '../domain/outcome.js';
import type { Classification, WrapUp } from '../domain/outcome.js';
import { decideAfterAttempt, mayCallNow } from '../domain/policy.js';
import { recordAttempt } from '../domain/retry.js';
import type { CampaignSettings } from '../domain/settings.js';
import { localHour, resolveZones } from '../domain/windows.js';
import type { CallEvent, CallEventSink, CallFlow, DialRequest, Telephony } from '../telephony/telephony.js';
import { TelephonyError } from '../telephony/telephony.js';
import type { CampaignService, ZoneLookup } from './campaigns.js';
import type { Clock } from './clock.js';
import type { EngineEvent, LeadState } from './events.js';
import { callingRules, historyOf, leadContext, locationOf, withHistory } from './lead-context.js';
import { capacityPolicyFor } from './modes.js';
import type { CapacityPolicies } from './modes.js';
import type { LeadProgress } from './store/codec.js';
import type { AttemptRecord, CampaignRecord, LeadView, PaceLevel, Store } from './store/store.js';

export interface EngineLimits {
  /** Telephony account level (per portal): Twilio's account CPS and concurrent calls. */
  account: { callsPerSecond: number; maxConcurrentCalls: number };
  /** Per caller-ID number (carriers flag numbers that dial too fast). */
  callerId: { callsPerSecond: number; maxConcurrentCalls: number };
}

export interface EngineTimings {
  /** A claim must reach dial-requested within this, or the reaper requeues it. */
  claimLeaseMs: number;
  /** Added to the ring timeout: how long a placed call may go without callbacks before it is presumed lost. */
  callbackSilenceMs: number;
  /** Lease of an answered call (its slot), extended by every callback. */
  maxCallDurationMs: number;
  /** Wait for a late AMD result after the final status when AMD was requested. */
  amdGraceMs: number;
  /** Retry a contact that is live in another campaign after this. */
  busyRetryMs: number;
}

export const DEFAULT_TIMINGS: EngineTimings = {
  claimLeaseMs: 15_000,
  callbackSilenceMs: 120_000,
  maxCallDurationMs: 4 * 3_600_000,
  amdGraceMs: 5_000,
  busyRetryMs: 60_000,
};

export const DEFAULT_LIMITS: EngineLimits = {
  account: { callsPerSecond: 100, maxConcurrentCalls: 1000 },
  callerId: { callsPerSecond: 100, maxConcurrentCalls: 1000 },
};

export interface EngineOptions {
  store: Store;
  telephony: Telephony;
  clock: Clock;
  campaigns: CampaignService;
  zones: ZoneLookup;
  random?: () => number;
  limits?: (portalId: string) => EngineLimits;
  timings?: Partial<EngineTimings>;
  capacity?: CapacityPolicies;
  /** Called on unexpected errors in the background loops (they keep running). */
  onError?: (error: unknown) => void;
}

const PEEK = 8;
/** Most dials one campaign gets per pass before the worker looks at the other campaigns. */
const BURST = 64;

export function newAttemptId(portalId: string): string {
  return `a.${portalId}.${randomBytes(9).toString('base64url')}`;
}

export function portalOfAttempt(attemptId: string): string | null {
  const parts = attemptId.split('.');
  return parts.length === 3 && parts[0] === 'a' ? parts[1]! : null;
}

function flowKind(settings: CampaignSettings): 'connect' | 'reminder' | 'message' {
  if (settings.dialMode.mode !== 'message') return 'connect';
  return settings.gatherConfirmation ? 'reminder' : 'message';
}

function callFlow(settings: CampaignSettings, agentId?: string): CallFlow {
  if (settings.dialMode.mode === 'message') {
    return { kind: 'reminder', message: settings.message!, gather: settings.gatherConfirmation };
  }
  const to = settings.connectTo;
  const targets =
    to?.type === 'number'
      ? [to.number]
      : to?.type === 'hunt-group'
        ? to.numbers
        : [agentId ?? to?.agentId ?? ''];
  return { kind: 'connect', targets };
}

/** Resolves a pending wait early when a wake-up arrives. */
class Waker {
  private pending: (() => void) | null = null;
  private woken = false;
  signal = () => {
    this.woken = true;
    this.pending?.();
  };
  async sleep(clock: Clock, ms: number, stop: AbortSignal): Promise<void> {
    if (this.woken || stop.aborted) {
      this.woken = false;
      return;
    }
    const ac = new AbortController();
    const onStop = () => ac.abort();
    stop.addEventListener('abort', onStop, { once: true });
    this.pending = () => ac.abort();
    await clock.sleep(Math.max(0, ms), ac.signal);
    stop.removeEventListener('abort', onStop);
    this.pending = null;
    this.woken = false;
  }
}

export class Engine implements CallEventSink {
  readonly store: Store;
  private readonly telephony: Telephony;
  private readonly clock: Clock;
  readonly campaigns: CampaignService;
  private readonly zones: ZoneLookup;
  private readonly random: () => number;
  private readonly limits: (portalId: string) => EngineLimits;
  private readonly timings: EngineTimings;
  private readonly capacity: CapacityPolicies;
  private readonly onError: (error: unknown) => void;
  private readonly inFlight = new Set<Promise<void>>();
  private stopController: AbortController | null = null;
  private loops: Promise<void>[] = [];
  private callerIdTurn = 0;

  constructor(options: EngineOptions) {
    this.store = options.store;
    this.telephony = options.telephony;
    this.clock = options.clock;
    this.campaigns = options.campaigns;
    this.zones = options.zones;
    this.random = options.random ?? Math.random;
    this.limits = options.limits ?? (() => DEFAULT_LIMITS);
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.capacity = options.capacity ?? {};
    this.onError = options.onError ?? ((e) => console.error('engine error', e));
  }

  // ------------------------------------------------------------------ worker loop

  /** Starts one worker loop per portal (call once per process; run as many processes as needed). */
  start(portalIds: string[]): void {
    if (this.stopController) throw new Error('engine already started');
    this.stopController = new AbortController();
    const stop = this.stopController.signal;
    this.loops = portalIds.map((p) => this.runPortal(p, stop));
  }

  /** Stops dispatching and waits for dials already under way to be recorded. */
  async stop(): Promise<void> {
    this.stopController?.abort();
    await Promise.all(this.loops);
    await Promise.all([...this.inFlight]);
    this.stopController = null;
    this.loops = [];
  }

  private async runPortal(portalId: string, stop: AbortSignal): Promise<void> {
    const waker = new Waker();
    const off = await this.store.onWake(portalId, waker.signal);
    try {
      while (!stop.aborted) {
        let next = Infinity;
        try {
          next = await this.pass(portalId, stop);
        } catch (error) {
          this.onError(error);
          next = this.clock.now() + 1000;
        }
        if (stop.aborted) break;
        const wait = next - this.clock.now();
        if (wait > 0) await waker.sleep(this.clock, Math.min(wait, 60_000), stop);
      }
    } finally {
      await off();
    }
  }

  /** One pass: reap expired leases, dispatch every dialing campaign. Returns when the next pass is needed. */
  async pass(portalId: string, stop?: AbortSignal): Promise<number> {
    let next = Infinity;
    const reaped = await this.reap(portalId);
    next = Math.min(next, reaped);
    const campaigns = await this.store.listCampaigns(portalId);
    for (const campaign of campaigns) {
      if (stop?.aborted) break;
      if (campaign.status !== 'active') continue;
      if (!capacityPolicyFor(campaign.settings.dialMode.mode, this.capacity).autoDial) continue;
      next = Math.min(next, await this.dispatch(campaign, stop));
    }
    return next;
  }

  private paceLevels(portalId: string, from: string): PaceLevel[] {
    const limits = this.limits(portalId);
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

  private chooseCallerId(settings: CampaignSettings, to: string): string {
    if (settings.callerIdStrategy === 'local-presence' && to.startsWith('+1')) {
      const local = settings.callerIds.find((c) => c.slice(0, 5) === to.slice(0, 5));
      if (local) return local;
    }
    return settings.callerIds[this.callerIdTurn++ % settings.callerIds.length]!;
  }

  /** Dials what is due and allowed in one campaign; returns when this campaign next needs attention. */
  private async dispatch(campaign: CampaignRecord, stop?: AbortSignal): Promise<number> {
    const { portalId, campaignId, settings } = campaign;
    const policy = capacityPolicyFor(settings.dialMode.mode, this.capacity);
    const agents =
      settings.dialMode.mode === 'message' ? 0 : await this.store.availableAgents(portalId, campaignId);
    const maxLive = policy.maxLive({ settings, availableAgents: agents });
    let dials = 0;
    while (dials < BURST && !stop?.aborted) {
      const now = this.clock.now();
      const due = await this.store.peekDue(portalId, campaignId, now, PEEK);
      if (!due.length) return (await this.store.nextDueAt(portalId, campaignId)) ?? Infinity;
      // Workers racing for the head of the queue: start at a random one of the first few.
      const lead = due[Math.floor(this.random() * due.length)]!;
      const verdict = await this.preDialCheck(campaign, lead, now);
      if (verdict !== 'ok') continue;
      const from = this.chooseCallerId(settings, lead.e164);
      const attemptId = newAttemptId(portalId);
      const claim = await this.store.claim({
        portalId,
        campaignId,
        contactId: lead.contactId,
        expectRev: lead.rev,
        attemptId,
        from,
        now,
        leaseUntil: now + this.timings.claimLeaseMs,
        pace: this.paceLevels(portalId, from),
        maxLive,
        busyRetryMs: this.timings.busyRetryMs,
        amd: settings.amd.detection !== 'off',
        localHour: await this.localHourOf(campaign, lead, now),
      });
      if (claim.ok) {
        dials++;
        this.track(this.placeCall(campaign, claim.attempt).then(() => undefined));
        continue;
      }
      if (claim.reason === 'paced') return now + (claim.waitMs ?? 1);
      if (claim.reason === 'capacity') {
        // a finishing call wakes us; the lease expiry bounds the wait if its callback is lost
        return (await this.store.nextLeaseExpiry(portalId)) ?? now + 1000;
      }
      if (claim.reason === 'inactive') return Infinity;
    }
    return this.clock.now();
  }

  private track(p: Promise<void>) {
    const wrapped = p.catch(this.onError).finally(() => this.inFlight.delete(wrapped));
    this.inFlight.add(wrapped);
  }

  private async locationFor(lead: { e164: string; zone?: string }) {
    const candidates = lead.zone ? [] : await this.zones.candidateZones(lead.e164);
    return locationOf(lead.e164, lead.zone, candidates);
  }

  private async localHourOf(campaign: CampaignRecord, lead: { e164: string; zone?: string }, at: number) {
    const rules = callingRules(campaign.settings, this.campaigns.account(campaign.portalId));
    const zone = resolveZones(await this.locationFor(lead), rules.fallbackZone).zones[0];
    return zone ? localHour(at, zone) : undefined;
  }

  /** The domain's "may I call now?" right before the claim; a refused lead moves to when it may. */
  private async preDialCheck(campaign: CampaignRecord, lead: LeadView, now: number): Promise<'ok' | 'moved'> {
    const account = this.campaigns.account(campaign.portalId);
    const ctx = leadContext(
      campaign.settings,
      account,
      await this.locationFor(lead),
      historyOf(lead.progress),
    );
    const verdict = mayCallNow(now, ctx);
    if (verdict.ok) return 'ok';
    const { portalId, campaignId } = campaign;
    if (verdict.nextAt !== null) {
      await this.store.reschedule(portalId, campaignId, lead.contactId, lead.rev, verdict.nextAt);
    } else {
      const event: EngineEvent = {
        type: 'lead.removed',
        portalId,
        campaignId,
        contactId: lead.contactId,
        reason: 'NO_CALLABLE_TIME',
        at: now,
      };
      await this.store.reschedule(portalId, campaignId, lead.contactId, lead.rev, null, 'failed', [event]);
    }
    return 'moved';
  }

  private dialLease(settings: CampaignSettings, now: number): number {
    return now + settings.ringTimeoutSec * 1000 + this.timings.callbackSilenceMs;
  }

  /** claimed -> dial-requested (durable) -> telephony.dial -> dialed. */
  private async placeCall(
    campaign: CampaignRecord,
    attempt: AttemptRecord,
    pace?: PaceLevel[],
  ): Promise<boolean> {
    const now = this.clock.now();
    const { portalId, campaignId, settings } = campaign;
    const started: EngineEvent = {
      type: 'attempt.started',
      portalId,
      campaignId,
      attemptId: attempt.attemptId,
      contactId: attempt.contactId,
      to: attempt.to,
      from: attempt.from,
      attempt: attempt.ordinal,
      dueAt: attempt.dueAt,
      at: now,
    };
    const marked = await this.store.markDialRequested(
      portalId,
      attempt.attemptId,
      now,
      this.dialLease(settings, now),
      [started],
      pace,
    );
    if (!marked.ok) return false;
    const request: DialRequest = {
      attemptId: attempt.attemptId,
      portalId,
      campaignId,
      contactId: attempt.contactId,
      to: attempt.to,
      from: attempt.from,
      flow: callFlow(settings, attempt.agentId),
      amd: settings.amd,
      ringTimeoutSec: settings.ringTimeoutSec,
      record: settings.record,
    };
    try {
      const { providerCallId } = await this.telephony.dial(request);
      await this.store.markDialed(portalId, attempt.attemptId, providerCallId);
    } catch (error) {
      // The carrier refused (or we cannot know): this attempt id is spent, never dialed again.
      const code = error instanceof TelephonyError ? error.code : undefined;
      const failed = foldCallEvent(initialProgress(), {
        type: 'status',
        attemptId: attempt.attemptId,
        providerCallId: '',
        status: 'failed',
        ...(code !== undefined ? { errorCode: code } : {}),
        at: this.clock.now(),
      });
      await this.finalize(attempt.portalId, attempt.attemptId, failed, 'dial-error');
    }
    return true;
  }

  // ------------------------------------------------------------------ call events

  /** Idempotent and order-tolerant: duplicates and late events after the finish are ignored. */
  async handleCallEvent(event: CallEvent): Promise<void> {
    const portalId = portalOfAttempt(event.attemptId);
    if (!portalId) return;
    for (;;) {
      const attempt = await this.store.getAttempt(portalId, event.attemptId);
      if (!attempt || attempt.state === 'finished') return;
      const before: CallProgress = attempt.progress ? JSON.parse(attempt.progress) : initialProgress();
      const after = foldCallEvent(before, event);
      const now = this.clock.now();
      const changed = JSON.stringify(after) !== JSON.stringify(before);
      const awaitingAmd = attempt.amd && after.answered && after.answeredBy === undefined;
      const lease = isFinal(after)
        ? now + this.timings.amdGraceMs
        : after.status === 'in-progress'
          ? now + this.timings.maxCallDurationMs
          : Math.max(attempt.leaseUntil, now + this.timings.callbackSilenceMs);
      if (changed) {
        const events: EngineEvent[] =
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
        const saved = await this.store.saveProgress(
          portalId,
          attempt.attemptId,
          attempt.rev,
          JSON.stringify(after),
          lease,
          events,
        );
        if (!saved) continue; // another callback won the race: fold again over its result
      }
      // With AMD requested, a final status without its verdict waits a grace period (the reaper finalizes).
      if (isFinal(after) && !awaitingAmd)
        await this.finalize(portalId, attempt.attemptId, after, 'final-status');
      return;
    }
  }

  /**
   * Builds the result, classifies it, applies the retry policy and writes it all in one atomic finish.
   * `lost`: no final status arrived before the lease ended: a technical error, counted, retried per policy.
   */
  private async finalize(
    portalId: string,
    attemptId: string,
    progress: CallProgress | null,
    why: 'final-status' | 'dial-error' | 'lost' | 'amd-grace',
  ): Promise<void> {
    const attempt = await this.store.getAttempt(portalId, attemptId);
    if (!attempt || attempt.state === 'finished') return;
    const campaign = await this.store.getCampaign(portalId, attempt.campaignId);
    const lead = await this.store.getLead(portalId, attempt.campaignId, attempt.contactId);
    if (!campaign || !lead) return;
    const settings = campaign.settings;
    let classification: Classification;
    if (progress && isFinal(progress)) {
      const machine = progress.answeredBy?.startsWith('machine_end') ?? false;
      classification = classifyOutcome(
        toCallResult(progress, flowKind(settings), {
          voicemailDropped: settings.amd.onMachine === 'drop-voicemail' && machine,
          priorLikelyInvalid: 0,
        }),
      );
    } else {
      classification = {
        category: 'CARRIER_ERROR',
        effect: { kind: 'retry', technicalError: true },
        disposition: 'FAILED',
        label: 'No final call status (lost)',
      };
    }
    await this.writeOutcome(campaign, attempt, lead, classification, progress, why);
  }

  private async writeOutcome(
    campaign: CampaignRecord,
    attempt: AttemptRecord,
    lead: LeadView,
    classification: Classification,
    progress: CallProgress | null,
    why: string,
    wrapUp?: WrapUp,
  ): Promise<void> {
    const now = this.clock.now();
    const { portalId, campaignId, settings } = campaign;
    const account = this.campaigns.account(portalId);
    const effect = classification.effect;
    const counted = effect.kind !== 'pause-campaign';
    const prior = historyOf(lead.progress);
    const attemptAt = attempt.dialRequestedAt ?? attempt.claimedAt;
    const history = counted
      ? recordAttempt(prior, attemptAt, effect.kind === 'retry' && effect.technicalError)
      : prior;
    const ctx = leadContext(settings, account, await this.locationFor(lead), history);
    const decision = decideAfterAttempt(now, classification, ctx, this.random);
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
        outcomeLabel: classification.label,
        nextState: state,
        ...(nextAt !== null ? { nextAt } : {}),
        ...(attempt.localHour !== undefined ? { localHour: attempt.localHour } : {}),
        ...(progress?.recordingUrl ? { recordingUrl: progress.recordingUrl } : {}),
        ...(progress?.providerCallId || attempt.providerCallId
          ? { providerCallId: progress?.providerCallId || attempt.providerCallId }
          : {}),
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
    await this.store.finishAttempt({
      portalId,
      attemptId: attempt.attemptId,
      now,
      lead: next,
      nextAt,
      ...(state === 'dnc' ? { dncNumber: attempt.to } : {}),
      pauseCampaign: decision.state === 'paused-retry',
      events,
      summary: JSON.stringify({
        why,
        category: classification.category,
        disposition: classification.disposition,
      }),
    });
  }

  // ------------------------------------------------------------------ reaper

  /** Recovers expired leases (any worker runs it). Returns the next lease expiry. */
  async reap(portalId: string): Promise<number> {
    const now = this.clock.now();
    const expired = await this.store.expiredAttempts(portalId, now, 100);
    for (const attemptId of expired) {
      const attempt = await this.store.getAttempt(portalId, attemptId);
      if (!attempt || attempt.state === 'finished') continue;
      if (attempt.state === 'claimed') {
        // never reached the carrier: as if never claimed
        await this.store.requeueClaimed(portalId, attemptId, now, now);
        continue;
      }
      const progress: CallProgress | null = attempt.progress ? JSON.parse(attempt.progress) : null;
      await this.finalize(
        portalId,
        attemptId,
        progress,
        progress && isFinal(progress) ? 'amd-grace' : 'lost',
      );
    }
    return (await this.store.nextLeaseExpiry(portalId)) ?? Infinity;
  }

  // ------------------------------------------------------------------ preview mode and agents

  setAgentAvailable(portalId: string, campaignId: string, agentId: string, available: boolean) {
    return this.store.setAgentAvailable(portalId, campaignId, agentId, available);
  }

  /** A rep takes the next lead of a preview campaign; the claim is held for previewTimeoutSec. */
  async claimPreview(
    portalId: string,
    campaignId: string,
    agentId: string,
  ): Promise<{ claimId: string; contactId: string; to: string; leaseUntil: number } | null> {
    const campaign = await this.campaigns.get(portalId, campaignId);
    const mode = campaign.settings.dialMode;
    if (mode.mode !== 'preview') throw new Error(`campaign ${campaignId} is not a preview campaign`);
    for (let tries = 0; tries < 20; tries++) {
      const now = this.clock.now();
      const due = await this.store.peekDue(portalId, campaignId, now, PEEK);
      if (!due.length) return null;
      const lead = due[Math.floor(this.random() * due.length)]!;
      if ((await this.preDialCheck(campaign, lead, now)) !== 'ok') continue;
      const claim = await this.store.claim({
        portalId,
        campaignId,
        contactId: lead.contactId,
        expectRev: lead.rev,
        attemptId: newAttemptId(portalId),
        from: this.chooseCallerId(campaign.settings, lead.e164),
        now,
        leaseUntil: now + mode.previewTimeoutSec * 1000,
        maxLive: null,
        busyRetryMs: this.timings.busyRetryMs,
        amd: campaign.settings.amd.detection !== 'off',
        agentId,
        localHour: await this.localHourOf(campaign, lead, now),
      });
      if (claim.ok) {
        const a = claim.attempt;
        return { claimId: a.attemptId, contactId: a.contactId, to: a.to, leaseUntil: a.leaseUntil };
      }
      if (claim.reason === 'inactive') return null;
    }
    return null;
  }

  /** The rep dials the previewed lead: pacer slots are taken now. */
  async dialPreview(
    portalId: string,
    claimId: string,
  ): Promise<{ ok: true } | { ok: false; reason: string; waitMs?: number }> {
    const attempt = await this.store.getAttempt(portalId, claimId);
    if (!attempt || attempt.state !== 'claimed')
      return { ok: false, reason: 'claim expired or already used' };
    const campaign = await this.campaigns.get(portalId, attempt.campaignId);
    const now = this.clock.now();
    const marked = await this.store.markDialRequested(
      portalId,
      claimId,
      now,
      this.dialLease(campaign.settings, now),
      [],
      this.paceLevels(portalId, attempt.from),
    );
    if (!marked.ok)
      return {
        ok: false,
        reason: marked.reason,
        ...(marked.waitMs !== undefined ? { waitMs: marked.waitMs } : {}),
      };
    // re-read: the attempt is now dial-requested; placeCall's own mark is skipped by passing through dial
    await this.dialAfterMark(campaign, { ...attempt, state: 'dial-requested' });
    return { ok: true };
  }

  private async dialAfterMark(campaign: CampaignRecord, attempt: AttemptRecord) {
    const { portalId, campaignId, settings } = campaign;
    await this.store.append(portalId, {
      type: 'attempt.started',
      portalId,
      campaignId,
      attemptId: attempt.attemptId,
      contactId: attempt.contactId,
      to: attempt.to,
      from: attempt.from,
      attempt: attempt.ordinal,
      dueAt: attempt.dueAt,
      at: this.clock.now(),
    });
    try {
      const { providerCallId } = await this.telephony.dial({
        attemptId: attempt.attemptId,
        portalId,
        campaignId,
        contactId: attempt.contactId,
        to: attempt.to,
        from: attempt.from,
        flow: callFlow(settings, attempt.agentId),
        amd: settings.amd,
        ringTimeoutSec: settings.ringTimeoutSec,
        record: settings.record,
      });
      await this.store.markDialed(portalId, attempt.attemptId, providerCallId);
    } catch (error) {
      const code = error instanceof TelephonyError ? error.code : undefined;
      const failed = foldCallEvent(initialProgress(), {
        type: 'status',
        attemptId: attempt.attemptId,
        providerCallId: '',
        status: 'failed',
        ...(code !== undefined ? { errorCode: code } : {}),
        at: this.clock.now(),
      });
      await this.finalize(portalId, attempt.attemptId, failed, 'dial-error');
    }
  }

  /** The rep skips the previewed lead: it goes back to the queue untouched. */
  async skipPreview(portalId: string, claimId: string): Promise<boolean> {
    return this.store.requeueClaimed(portalId, claimId, this.clock.now(), this.clock.now());
  }

  // ------------------------------------------------------------------ wrap-up

  /**
   * A rep's wrap-up after the call: DNC (portal DNC set, contact final `dnc`), wrong number (failed), call me
   * later (retry at that time, still inside the window), or a disposition. The call must have finished.
   */
  async wrapUp(portalId: string, attemptId: string, wrap: WrapUp): Promise<void> {
    const attempt = await this.store.getAttempt(portalId, attemptId);
    if (!attempt) throw new Error(`attempt ${attemptId} not found`);
    if (attempt.state !== 'finished') throw new Error(`attempt ${attemptId} is still in progress`);
    const campaign = await this.campaigns.get(portalId, attempt.campaignId);
    const lead = await this.store.getLead(portalId, attempt.campaignId, attempt.contactId);
    if (!lead) throw new Error(`contact ${attempt.contactId} is not in campaign ${attempt.campaignId}`);
    const progress: CallProgress | null = attempt.progress ? JSON.parse(attempt.progress) : null;
    const base: Classification =
      progress && isFinal(progress)
        ? classifyOutcome(toCallResult(progress, flowKind(campaign.settings), { priorLikelyInvalid: 0 }))
        : {
            category: 'CARRIER_ERROR',
            effect: { kind: 'retry', technicalError: true },
            disposition: 'FAILED',
            label: 'Failed',
          };
    const c = applyWrapUp(base, wrap);
    const now = this.clock.now();
    // The attempt was already counted when it finished; only the lead's next state changes here.
    const ctx = leadContext(
      campaign.settings,
      this.campaigns.account(portalId),
      await this.locationFor(lead),
      historyOf(lead.progress),
    );
    const decision = decideAfterAttempt(now, c, ctx, this.random);
    const state: LeadState =
      decision.state === 'reached'
        ? 'reached'
        : decision.state === 'failed'
          ? 'failed'
          : decision.state === 'dnc'
            ? 'dnc'
            : 'retrying';
    const nextAt = decision.state === 'retry' || decision.state === 'paused-retry' ? decision.at : null;
    if (state === 'dnc') await this.store.addDoNotCall(portalId, [attempt.to]);
    const event: EngineEvent = {
      type: 'attempt.finished',
      portalId,
      campaignId: attempt.campaignId,
      campaignName: campaign.settings.name,
      attemptId,
      contactId: attempt.contactId,
      to: attempt.to,
      from: attempt.from,
      startedAt: attempt.dialRequestedAt ?? attempt.claimedAt,
      durationSec: progress?.durationSec ?? 0,
      disposition: c.disposition,
      outcomeLabel: c.label,
      nextState: state,
      ...(nextAt !== null ? { nextAt } : {}),
      ...(state === 'dnc' ? { doNotCall: true } : {}),
      ...(wrap.wrongNumber ? { wrongNumber: true } : {}),
      ...(wrap.notes ? { notes: wrap.notes } : {}),
      at: now,
    };
    // Only the lead's latest attempt may be wrapped up, and a removed lead stays removed.
    if (lead.progress.attemptId !== attemptId || lead.progress.state === 'removed') {
      throw new Error(`attempt ${attemptId} is no longer the contact's latest attempt`);
    }
    const updated = await this.store.updateLead(
      portalId,
      attempt.campaignId,
      attempt.contactId,
      lead.rev,
      { ...lead.progress, state },
      nextAt,
      [event],
    );
    if (!updated) throw new Error(`contact ${attempt.contactId} changed during the wrap-up; try again`);
  }
}
