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
import { suggestPaceAfterQueueing } from '../telephony/twilio/caller-id.js';
import { EngineInputError } from './campaigns.js';
import type { CampaignService, ZoneLookup } from './campaigns.js';
import type { Clock } from './clock.js';
import type { EngineEvent, LeadState } from './events.js';
import { callingRules, historyOf, leadContext, locationOf, withHistory } from './lead-context.js';
import { capacityPolicyFor } from './modes.js';
import type { CapacityPolicies } from './modes.js';
import { NOOP_OBSERVER } from './observer.js';
import type { EngineObserver } from './observer.js';
import type { LeadProgress } from './store/codec.js';
import type {
  AttemptRecord,
  BatchCandidate,
  CampaignRecord,
  FinishResult,
  LeadView,
  PaceLevel,
  Store,
} from './store/store.js';

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
  /** In-process hooks for metrics and logs (default: none). */
  observer?: EngineObserver;
}

/** A carrier's warning about our dialing (Twilio queued calls placed above the account's rate). */
export interface TelephonyWarning {
  code: 'TWILIO_QUEUEING';
  attemptId?: string;
  queueTimeMs?: number;
  message: string;
}

const PEEK = 8;
/** Due leads looked at and claimed in one round trip. */
const BATCH = 32;
/** Most dials one campaign gets per pass before the worker looks at the other campaigns. */
const BURST = 256;
/** Under contention, workers start this many batches apart in a long queue instead of all at its head. */
const SPREAD = 4;
/** Expired leases are looked for at most this often (a lease is never shorter than seconds). */
const REAP_EVERY_MS = 1000;
/** How long a worker trusts its copy of the campaign list (a 'campaign' wake-up drops it at once). */
const CAMPAIGN_CACHE_MS = 500;
/** A finished call frees a slot; it wakes only workers that would otherwise sleep longer than this. */
const FINISH_WAKE_MIN_SLEEP_MS = 100;
/** Queueing warnings come in bursts: one pace cut per campaign per this long. */
const PACE_CUT_COOLDOWN_MS = 5000;
/**
 * A grant may come this long before its slot in the rate window; the call then waits for the slot and goes
 * out on the dot, instead of a whole pass (a few round trips) late, which would pile up window after window.
 */
const GRANT_AHEAD_MS = 30;

/** A final status folded into the finish itself: the progress to save, over the revision it was folded from. */
interface ProgressFold {
  progress: string;
  expectRev: number;
  events: EngineEvent[];
}

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

/**
 * Resolves a pending wait early when a wake-up arrives. A finished call ('finish') only matters to a worker
 * waiting for a free slot, which sleeps long; a worker that wakes soon anyway for its next due lead or pacer slot
 * ignores it, so a busy campaign's finishes do not make every worker of every process run a pass.
 */
class Waker {
  private pending: (() => void) | null = null;
  private woken = false;
  private wakeAt = 0;
  constructor(private readonly clock: Clock) {}
  signal = (reason?: string) => {
    if (reason === 'finish' && this.pending && this.wakeAt - this.clock.now() < FINISH_WAKE_MIN_SLEEP_MS)
      return;
    this.woken = true;
    this.pending?.();
  };
  async sleep(ms: number, stop: AbortSignal): Promise<void> {
    if (this.woken || stop.aborted) {
      this.woken = false;
      return;
    }
    const ac = new AbortController();
    const onStop = () => ac.abort();
    stop.addEventListener('abort', onStop, { once: true });
    this.pending = () => ac.abort();
    this.wakeAt = this.clock.now() + ms;
    await this.clock.sleep(Math.max(0, ms), ac.signal);
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
  private readonly observer: EngineObserver;
  private readonly inFlight = new Set<Promise<void>>();
  private stopController: AbortController | null = null;
  private loops: Promise<void>[] = [];
  private callerIdTurn = 0;
  /** Per portal: when the reaper next looks for expired leases. */
  private readonly nextReapAt = new Map<string, number>();
  /** Per portal: the campaign list as last read (used by the background loops only). */
  private readonly campaignList = new Map<string, { at: number; records: CampaignRecord[] }>();
  /** Per portal/campaign: the record as last read, for finishing calls (settings change only while paused). */
  private readonly campaignCache = new Map<string, { at: number; record: CampaignRecord }>();
  /** Per portal/campaign: when the pace was last lowered after a carrier warning. */
  private readonly lastPaceCut = new Map<string, number>();

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
    this.observer = options.observer ?? NOOP_OBSERVER;
    const onError = options.onError ?? ((e: unknown) => console.error('engine error', e));
    this.onError = (error) => {
      this.observer.error(error);
      onError(error);
    };
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
    const waker = new Waker(this.clock);
    const off = await this.store.onWake(portalId, (reason) => {
      if (reason === 'campaign') this.forgetCampaigns(portalId);
      waker.signal(reason);
    });
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
        if (wait > 0) await waker.sleep(Math.min(wait, 60_000), stop);
      }
    } finally {
      await off();
    }
  }

  /** One pass: reap expired leases, dispatch every dialing campaign. Returns when the next pass is needed. */
  async pass(portalId: string, stop?: AbortSignal): Promise<number> {
    let next = Infinity;
    const now = this.clock.now();
    if (now >= (this.nextReapAt.get(portalId) ?? -Infinity)) {
      const expiry = await this.reap(portalId);
      this.nextReapAt.set(portalId, Math.min(expiry, now + REAP_EVERY_MS));
    }
    next = Math.min(next, this.nextReapAt.get(portalId)!);
    const campaigns = await this.listCampaigns(portalId);
    for (const campaign of campaigns) {
      if (stop?.aborted) break;
      if (campaign.status !== 'active') continue;
      if (!capacityPolicyFor(campaign.settings.dialMode.mode, this.capacity).autoDial) continue;
      next = Math.min(next, await this.dispatch(campaign, stop));
    }
    return next;
  }

  /** The background loops reuse the list briefly; a direct pass() (tests, tools) always reads it. */
  private async listCampaigns(portalId: string): Promise<CampaignRecord[]> {
    if (!this.stopController) return this.store.listCampaigns(portalId);
    const now = this.clock.now();
    const cached = this.campaignList.get(portalId);
    if (cached && now - cached.at >= 0 && now - cached.at < CAMPAIGN_CACHE_MS) return cached.records;
    const records = await this.store.listCampaigns(portalId);
    this.campaignList.set(portalId, { at: now, records });
    return records;
  }

  private forgetCampaigns(portalId: string) {
    this.campaignList.delete(portalId);
    for (const key of this.campaignCache.keys())
      if (key.startsWith(`${portalId}/`)) this.campaignCache.delete(key);
  }

  /**
   * The campaign record for finishing a call: settings are edited only while a campaign is paused and the
   * finish script checks the status itself, so a copy a few hundred ms old is as good as a fresh one.
   */
  private async campaignFor(portalId: string, campaignId: string): Promise<CampaignRecord | null> {
    const key = `${portalId}/${campaignId}`;
    const now = this.clock.now();
    const cached = this.campaignCache.get(key);
    if (cached && now - cached.at >= 0 && now - cached.at < CAMPAIGN_CACHE_MS) return cached.record;
    const record = await this.store.getCampaign(portalId, campaignId);
    if (record) this.campaignCache.set(key, { at: now, record });
    return record;
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

  /**
   * Dials what is due and allowed in one campaign; returns when this campaign next needs attention. Per batch:
   * one read of the due leads, the domain's pre-dial check of each, one atomic claim of all of them (the pacer's
   * grant is inside it and the attempts are written as dial-requested), then each request goes to the carrier.
   */
  private async dispatch(campaign: CampaignRecord, stop?: AbortSignal): Promise<number> {
    const { portalId, campaignId, settings } = campaign;
    const policy = capacityPolicyFor(settings.dialMode.mode, this.capacity);
    const agents =
      settings.dialMode.mode === 'message' ? 0 : await this.store.availableAgents(portalId, campaignId);
    const maxLive = policy.maxLive({ settings, availableAgents: agents });
    const amd = settings.amd.detection !== 'off';
    let dials = 0;
    let spread = false;
    for (let round = 0; dials < BURST && round < BURST && !stop?.aborted; round++) {
      const now = this.clock.now();
      // Workers racing over a long queue start at different places instead of all claiming its head.
      const offset = spread ? Math.floor(this.random() * SPREAD) * BATCH : 0;
      let due = await this.store.peekDue(portalId, campaignId, now, BATCH, offset);
      if (!due.length && offset > 0) due = await this.store.peekDue(portalId, campaignId, now, BATCH);
      if (!due.length) return (await this.store.nextDueAt(portalId, campaignId)) ?? Infinity;
      const byCallerId = new Map<string, BatchCandidate[]>();
      for (const lead of due) {
        if ((await this.preDialCheck(campaign, lead, now)) !== 'ok') continue;
        const from = this.chooseCallerId(settings, lead.e164);
        const attemptId = newAttemptId(portalId);
        const localHour = await this.localHourOf(campaign, lead, now);
        const started: EngineEvent = {
          type: 'attempt.started',
          portalId,
          campaignId,
          attemptId,
          contactId: lead.contactId,
          to: lead.e164,
          from,
          attempt: lead.progress.attempts + 1,
          dueAt: lead.dueAt ?? now,
          at: now,
        };
        const group = byCallerId.get(from) ?? [];
        group.push({
          contactId: lead.contactId,
          expectRev: lead.rev,
          attemptId,
          from,
          ...(localHour !== undefined ? { localHour } : {}),
          started,
        });
        byCallerId.set(from, group);
      }
      let contended = 0;
      for (const [from, candidates] of byCallerId) {
        const result = await this.claimBatchOrRecover(campaign, candidates, {
          portalId,
          campaignId,
          now,
          candidates,
          claimLeaseUntil: now + this.timings.claimLeaseMs,
          dialLeaseUntil: this.dialLease(settings, now),
          pace: this.paceLevels(portalId, from),
          maxLive,
          busyRetryMs: this.timings.busyRetryMs,
          amd,
          earlyMs: GRANT_AHEAD_MS,
        });
        for (const attempt of result.granted) {
          dials++;
          this.track(this.sendToCarrier(campaign, attempt));
        }
        for (const d of result.denied) if (d.reason === 'changed' || d.reason === 'not-due') contended++;
        if (!result.stop) continue;
        if (result.stop.reason === 'inactive') return Infinity;
        if (result.stop.reason === 'paced') {
          const wait = result.stop.waitMs ?? 1;
          this.observer.pacerWait(portalId, campaignId, wait);
          return now + wait;
        }
        // capacity: a finishing call wakes us; the lease expiry bounds the wait if its callback is lost
        const until = (await this.store.nextLeaseExpiry(portalId)) ?? now + 1000;
        this.observer.pacerWait(portalId, campaignId, Math.max(0, until - now));
        return until;
      }
      spread = contended > 0;
    }
    return this.clock.now();
  }

  /**
   * The batch claim, with a way back when its reply is lost (connection error): the claim may have run, and
   * then its attempts are dial-requested and must be dialed, or they would only be reaped as "lost" calls never
   * placed. Each candidate's attempt is looked up by id; those the claim wrote are sent, then the error is
   * thrown on (the pass backs off).
   */
  private async claimBatchOrRecover(
    campaign: CampaignRecord,
    candidates: BatchCandidate[],
    request: Parameters<Store['claimBatch']>[0],
  ) {
    try {
      return await this.store.claimBatch(request);
    } catch (error) {
      for (const c of candidates) {
        const attempt = await this.store.getAttempt(request.portalId, c.attemptId).catch(() => null);
        if (attempt?.state === 'dial-requested' && attempt.claimedAt === request.now) {
          this.track(this.sendToCarrier(campaign, attempt));
        }
      }
      throw error;
    }
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

  /** The attempt is already dial-requested (durable): hand it to the carrier, then record its call id. */
  private async sendToCarrier(campaign: CampaignRecord, attempt: AttemptRecord): Promise<void> {
    const { portalId, campaignId, settings } = campaign;
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
    await this.waitForSlot(attempt.notBefore);
    this.observer.dialPlaced(portalId, campaignId);
    try {
      const { providerCallId } = await this.dialNow(attempt, request);
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
  }

  /** Timers may fire early (or the clock step): the call never leaves before its slot. */
  private async waitForSlot(notBefore: number | undefined) {
    if (notBefore === undefined) return;
    for (let early = notBefore - this.clock.now(); early > 0; early = notBefore - this.clock.now()) {
      await this.clock.sleep(early);
    }
  }

  /**
   * Hands the request to the carrier and records the send time in the rate window: exactly the clock reading
   * taken right before the call, nothing in between, so the carrier's own receive time is that or a hair
   * later (the pacer's guard band covers the hair). Later grants are spaced from this recorded time.
   */
  private dialNow(attempt: AttemptRecord, request: DialRequest) {
    let dialing: Promise<{ providerCallId: string }>;
    const sentAt = this.clock.now();
    try {
      dialing = this.telephony.dial(request);
    } catch (error) {
      dialing = Promise.reject(error);
    }
    if (attempt.levels.length) {
      this.track(this.store.noteDispatched(attempt.portalId, attempt.attemptId, attempt.levels, sentAt));
    }
    return dialing;
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
      const changed = !sameProgress(before, after);
      const awaitingAmd = attempt.amd && after.answered && after.answeredBy === undefined;
      const lease = isFinal(after)
        ? now + this.timings.amdGraceMs
        : after.status === 'in-progress'
          ? now + this.timings.maxCallDurationMs
          : Math.max(attempt.leaseUntil, now + this.timings.callbackSilenceMs);
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
        const saved = await this.store.saveProgress(
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
  private async finalize(
    portalId: string,
    attemptId: string,
    progress: CallProgress | null,
    why: 'final-status' | 'dial-error' | 'lost' | 'amd-grace',
    known?: AttemptRecord,
    fold?: ProgressFold,
  ): Promise<FinishResult | null> {
    let hint = known;
    for (let tries = 0; tries < 10; tries++) {
      const attempt = hint ?? (await this.store.getAttempt(portalId, attemptId));
      hint = undefined;
      if (!attempt || attempt.state === 'finished') return null;
      const campaign = await this.campaignFor(portalId, attempt.campaignId);
      const lead = await this.store.getLead(portalId, attempt.campaignId, attempt.contactId);
      if (!campaign || !lead) return null;
      const base = this.classify(campaign.settings, progress, lead.progress.likelyInvalid ?? 0);
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

  private classify(
    settings: CampaignSettings,
    progress: CallProgress | null,
    priorLikelyInvalid: number,
  ): Classification {
    if (progress && isFinal(progress)) {
      const machine = progress.answeredBy?.startsWith('machine_end') ?? false;
      return classifyOutcome(
        toCallResult(progress, flowKind(settings), {
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
    const result = await this.store.finishAttempt({
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
      this.observer.attemptFinished(
        portalId,
        campaignId,
        classification.disposition,
        classification.category,
      );
    }
    return result;
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
        attempt,
      );
    }
    await this.reportQueueDepths(portalId);
    return (await this.store.nextLeaseExpiry(portalId)) ?? Infinity;
  }

  /** One ZCARD per active campaign, from the reaper's pass (at most once a second). */
  private async reportQueueDepths(portalId: string) {
    for (const campaign of await this.listCampaigns(portalId)) {
      if (campaign.status !== 'active') continue;
      const depth = await this.store.dueCount(portalId, campaign.campaignId);
      this.observer.queueDepth(portalId, campaign.campaignId, depth);
    }
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
    const leaseUntil = this.dialLease(campaign.settings, now);
    const pace = this.paceLevels(portalId, attempt.from);
    let marked: Awaited<ReturnType<Store['markDialRequested']>>;
    try {
      marked = await this.store.markDialRequested(portalId, claimId, now, leaseUntil, [started], pace);
    } catch (error) {
      // the reply may be lost after the mark ran: then the attempt is ours to dial
      const after = await this.store.getAttempt(portalId, claimId).catch(() => null);
      if (after?.state !== 'dial-requested' || after.dialRequestedAt !== now) throw error;
      marked = { ok: true };
    }
    if (!marked.ok)
      return {
        ok: false,
        reason: marked.reason,
        ...(marked.waitMs !== undefined ? { waitMs: marked.waitMs } : {}),
      };
    const levels = this.paceLevels(portalId, attempt.from).map((l) =>
      l.name === 'campaign' ? `c:${attempt.campaignId}` : l.name,
    );
    await this.dialAfterMark(campaign, { ...attempt, state: 'dial-requested', levels });
    return { ok: true };
  }

  private async dialAfterMark(campaign: CampaignRecord, attempt: AttemptRecord) {
    const { portalId, campaignId, settings } = campaign;
    this.observer.dialPlaced(portalId, campaignId);
    try {
      const { providerCallId } = await this.dialNow(attempt, {
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
   * A rep's wrap-up: DNC (portal DNC set first, then the contact ends `dnc`), wrong number (failed), call me
   * later (retry at that time, still inside the window), or a disposition. Before the final status it is kept
   * on the attempt and the finish applies it (one attempt.finished carrying it); after, it applies now with one
   * attempt.wrapped-up event. One wrap-up per attempt: the same again is a no-op, a different one an error.
   */
  async wrapUp(portalId: string, attemptId: string, wrap: WrapUp): Promise<void> {
    if (wrap.callbackAt !== undefined && !Number.isFinite(wrap.callbackAt)) {
      throw new EngineInputError('wrap-up callbackAt must be a time (epoch ms)');
    }
    const json = canonicalWrapUp(wrap);
    const isDnc = wrap.doNotCall === true || wrap.disposition === 'DO_NOT_CALL';
    for (let tries = 0; tries < 10; tries++) {
      const attempt = await this.store.getAttempt(portalId, attemptId);
      if (!attempt) throw new EngineInputError(`attempt ${attemptId} not found`);
      if (attempt.wrapUp !== undefined) {
        if (attempt.wrapUp === json) return; // the same wrap-up again: nothing to do
        throw new EngineInputError(`attempt ${attemptId} already has a different wrap-up`);
      }
      const lead = await this.store.getLead(portalId, attempt.campaignId, attempt.contactId);
      if (!lead)
        throw new EngineInputError(`contact ${attempt.contactId} is not in campaign ${attempt.campaignId}`);
      if (lead.progress.attemptId !== attemptId) {
        throw new EngineInputError(`attempt ${attemptId} is not the contact's latest attempt`);
      }
      // Safety first: no campaign dials the number again from this moment, whatever happens next.
      if (isDnc) await this.store.addDoNotCall(portalId, [attempt.to]);
      if (attempt.state !== 'finished') {
        const saved = await this.store.wrapUpAttempt({ mode: 'pending', portalId, attemptId, wrapUp: json });
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
    const campaign = await this.campaigns.get(portalId, campaignId);
    const progress: CallProgress | null = attempt.progress ? JSON.parse(attempt.progress) : null;
    // this attempt's own 13224 is already counted on the lead
    const prior = Math.max(0, (lead.progress.likelyInvalid ?? 0) - (progress?.errorCode === 13224 ? 1 : 0));
    const c = applyWrapUp(this.classify(campaign.settings, progress, prior), wrap);
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
      at: now,
    };
    return this.store.wrapUpAttempt({
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

  // ------------------------------------------------------------------ carrier warnings

  /**
   * The carrier queued our calls (we dial above the account's rate): lower the attempt's campaign pace live,
   * by how long the calls waited. Warnings come in bursts: at most one cut per campaign every few seconds (per
   * process). Returns the change made, or null when none was needed.
   */
  async handleTelephonyWarning(
    w: TelephonyWarning,
  ): Promise<{ portalId: string; campaignId: string; fromCps: number; toCps: number } | null> {
    if (w.code !== 'TWILIO_QUEUEING' || !w.attemptId) return null;
    const portalId = portalOfAttempt(w.attemptId);
    if (!portalId) return null;
    const attempt = await this.store.getAttempt(portalId, w.attemptId);
    if (!attempt) return null;
    const { campaignId } = attempt;
    const key = `${portalId}/${campaignId}`;
    const now = this.clock.now();
    const last = this.lastPaceCut.get(key);
    if (last !== undefined && now - last < PACE_CUT_COOLDOWN_MS) return null;
    this.lastPaceCut.set(key, now); // before any await: the rest of a burst stops here
    const campaign = await this.campaigns.get(portalId, campaignId);
    const fromCps = campaign.settings.pace.callsPerSecond;
    const toCps = suggestPaceAfterQueueing(fromCps, w.queueTimeMs ?? 0);
    if (!(toCps < fromCps)) return null;
    await this.campaigns.setPace(portalId, campaignId, { ...campaign.settings.pace, callsPerSecond: toCps });
    const reason = `Twilio queued calls${w.queueTimeMs ? ` for ${w.queueTimeMs} ms` : ''}: ${w.message}`;
    await this.store.append(portalId, {
      type: 'campaign.alert',
      portalId,
      campaignId,
      level: 'warning',
      message: `${reason}; pace lowered from ${fromCps} to ${toCps} calls/s`,
      code: w.code,
      at: now,
    });
    this.observer.paceLowered(portalId, campaignId, fromCps, toCps, reason);
    return { portalId, campaignId, fromCps, toCps };
  }
}
