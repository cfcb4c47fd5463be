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
import { pickCallerId } from '../domain/caller-id.js';
import { foldCallEvent, initialProgress, isFinal, toCallResult } from '../domain/call-progress.js';
import type { CallProgress } from '../domain/call-progress.js';
import { isFinalStatus } from '../domain/call.js';
import { applyWrapUp, classifyOutcome } from '../domain/outcome.js';
import type { Classification, WrapUp } from '../domain/outcome.js';
import { legalRuleFor } from '../domain/legal.js';
import { decideAfterAttempt, mayCallNow } from '../domain/policy.js';
import { recordAttempt } from '../domain/retry.js';
import { E164Schema } from '../domain/settings.js';
import type { CampaignSettings } from '../domain/settings.js';
import { checkCallable, localHour, resolveZones } from '../domain/windows.js';
import type { CalleeLocation } from '../domain/windows.js';
import type { CallEvent, CallEventSink, CallFlow, DialRequest, Telephony } from '../telephony/telephony.js';
import { TelephonyError } from '../telephony/telephony.js';
import { suggestPaceAfterQueueing } from '../telephony/twilio/caller-id.js';
import { EngineInputError } from './campaigns.js';
import type { CampaignService, ZoneLookup } from './campaigns.js';
import { ClickToCallRefusedError, ClickToCallSchema, manualCampaignSettings } from './click-to-call.js';
import { normalizePhone } from '../domain/phone.js';
import { EMPTY_HISTORY } from '../domain/retry.js';
import { describeZodError } from '../domain/settings.js';
import type { Clock } from '../shared/clock.js';
import type { EngineEvent, LeadState } from './events.js';
import { FINAL_LEAD_STATES } from './events.js';
import {
  callingRules,
  historyOf,
  leadContext,
  locationOf,
  withHistory,
  withNumberDials,
} from './lead-context.js';
import { LruCache } from './lru.js';
import { capacityPolicyFor } from './modes.js';
import type { CapacityPolicies } from './modes.js';
import { NOOP_OBSERVER } from './observer.js';
import type { EngineObserver } from './observer.js';
import type { LeadProgress } from './store/codec.js';
import { decodeProgress } from './store/codec.js';
import type {
  AttemptRecord,
  BatchCandidate,
  CampaignRecord,
  FinishResult,
  LeadView,
  NumberLimits,
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
  /** Agents' phone numbers (connect-to `agent`); numbers given to setAgentAvailable are used first. */
  agentNumber?: AgentDirectory;
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
/**
 * Expired leases are looked for when the earliest one ends, at most this often (a lease is never shorter than
 * seconds), and at least every half claim lease: another process's leases (it may have died holding them) are
 * then seen before they end. Leases this process takes or shortens itself move the next look (noteLease).
 */
const REAP_EVERY_MS = 1000;
/** A due scheduled start that could not be made (no contacts yet) is tried again at most this often. */
const SCHEDULE_CHECK_EVERY_MS = 1000;
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
/** DialRequest.notAfter: how late after its pacer slot a request may still reach the carrier. */
const DIAL_DEADLINE_ALLOWANCE_MS = 2000;
/** The reaper asks the carrier again this much later when it could not tell whether a call is still live. */
const STATUS_RETRY_MS = 30_000;
/** Numbers whose location is kept (a campaign's working set; each entry is a few hundred bytes). */
const LOCATION_CACHE_SIZE = 50_000;

/** A final status folded into the finish itself: the progress to save, over the revision it was folded from. */
interface ProgressFold {
  progress: string;
  expectRev: number;
  events: EngineEvent[];
}

/** Random bytes per attempt id (12 base64url characters, 72 bits). */
const ID_BYTES = 9;
/** One randomBytes call per this many ids: a syscall and a buffer per dial showed up in profiles. */
const IDS_PER_REFILL = 1000;
let idPool = Buffer.alloc(0);
let idPoolOffset = 0;

export function newAttemptId(portalId: string): string {
  if (idPoolOffset + ID_BYTES > idPool.length) {
    idPool = randomBytes(ID_BYTES * IDS_PER_REFILL);
    idPoolOffset = 0;
  }
  const id = idPool.toString('base64url', idPoolOffset, idPoolOffset + ID_BYTES);
  idPoolOffset += ID_BYTES;
  return `a.${portalId}.${id}`;
}

export function portalOfAttempt(attemptId: string): string | null {
  const parts = attemptId.split('.');
  return parts.length === 3 && parts[0] === 'a' ? parts[1]! : null;
}

function flowKind(settings: CampaignSettings): 'connect' | 'reminder' | 'message' {
  if (settings.dialMode.mode !== 'message') return 'connect';
  return settings.gatherConfirmation ? 'reminder' : 'message';
}

/** Where a portal's agents answer: agent id -> E.164 (undefined when unknown). */
export type AgentDirectory = (portalId: string, agentId: string) => string | undefined;

/** The hidden per-portal campaign that carries reps' click-to-call attempts (see Engine.clickToCall). */
export const MANUAL_CAMPAIGN_ID = 'manual';

/** The connect-to target as phone numbers; an agent is looked up, and never put into <Number> as an id. */
function connectTargets(
  settings: CampaignSettings,
  agentId: string | undefined,
  agentNumber: ((agentId: string) => string | undefined) | undefined,
): string[] {
  const to = settings.connectTo;
  if (to?.type === 'number') return [to.number];
  if (to?.type === 'hunt-group') return to.numbers;
  const id = agentId ?? to?.agentId;
  const number = id !== undefined ? agentNumber?.(id) : undefined;
  return number !== undefined && E164Schema.safeParse(number).success ? [number] : [];
}

/** What an answered call does in a campaign: the one rule for the engine's dials and Twilio's TwiML fetches. */
export function callFlowFor(
  settings: CampaignSettings,
  agentId?: string,
  agentNumber?: (agentId: string) => string | undefined,
): CallFlow {
  if (settings.dialMode.mode === 'message') {
    // Key 2 of a reminder asks for a person: the campaign's connect-to target, when it has one.
    const transferTo = settings.gatherConfirmation
      ? connectTargets(settings, undefined, agentNumber)[0]
      : undefined;
    return {
      kind: 'reminder',
      message: settings.message!,
      gather: settings.gatherConfirmation,
      ...(transferTo !== undefined ? { transferTo } : {}),
    };
  }
  return { kind: 'connect', targets: connectTargets(settings, agentId, agentNumber) };
}

/** The carrier request for a claimed attempt of a campaign. */
export function dialRequestFor(
  attempt: Pick<
    AttemptRecord,
    'attemptId' | 'portalId' | 'campaignId' | 'contactId' | 'to' | 'from' | 'agentId'
  >,
  settings: CampaignSettings,
  agents?: AgentDirectory,
): DialRequest {
  // A click-to-call attempt rings the rep first (kept in agentId), then the contact (the attempt's number).
  const manual = attempt.campaignId === MANUAL_CAMPAIGN_ID && attempt.agentId !== undefined;
  return {
    attemptId: attempt.attemptId,
    portalId: attempt.portalId,
    campaignId: attempt.campaignId,
    contactId: attempt.contactId,
    to: manual ? attempt.agentId! : attempt.to,
    from: attempt.from,
    flow: manual
      ? { kind: 'click-to-call', contactNumber: attempt.to }
      : callFlowFor(settings, attempt.agentId, agents && ((id) => agents(attempt.portalId, id))),
    amd: settings.amd,
    ringTimeoutSec: settings.ringTimeoutSec,
    record: settings.record,
  };
}

/**
 * Lets timers and I/O callbacks run. A memory store answers in microtasks, so without this a busy worker would
 * run pass after pass and starve the carrier's callbacks (whose leases meanwhile run out).
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

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
  /** Per portal: the running worker loop's wake-up, for a lease that now ends before its next look. */
  private readonly wakers = new Map<string, Waker>();
  /** Per portal: the campaign list as last read (used by the background loops only). */
  private readonly campaignList = new Map<string, { at: number; records: CampaignRecord[] }>();
  /** Per portal/campaign: the record as last read, for finishing calls (settings change only while paused). */
  private readonly campaignCache = new Map<string, { at: number; record: CampaignRecord }>();
  /** Per portal/campaign: when the pace was last lowered after a carrier warning. */
  private readonly lastPaceCut = new Map<string, number>();
  /** Where a number is (parse + zone lookup): a pure function of `e164|zone`, needed on every dial. */
  private readonly locations = new LruCache<string, CalleeLocation>(LOCATION_CACHE_SIZE);
  /** Per portal: a due scheduled start is tried at most this often (one that cannot start waits for overdue). */
  private readonly nextStartCheckAt = new Map<string, number>();
  /** Agent phones given to setAgentAvailable in this process (`portal/agent` -> E.164). */
  private readonly agentPhones = new Map<string, string>();
  /** Agent id -> phone number: this process's setAgentAvailable numbers, then the configured directory. */
  readonly agentNumber: AgentDirectory;

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
    const directory = options.agentNumber;
    this.agentNumber = (portalId, agentId) =>
      this.agentPhones.get(`${portalId}/${agentId}`) ?? directory?.(portalId, agentId);
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
    this.wakers.set(portalId, waker);
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
        // Always one macrotask between passes: a wake-up or "more work now" must not starve timers and I/O.
        await yieldToEventLoop();
        const wait = next - this.clock.now();
        if (wait > 0) await waker.sleep(Math.min(wait, 60_000), stop);
      }
    } finally {
      if (this.wakers.get(portalId) === waker) this.wakers.delete(portalId);
      await off();
    }
  }

  /** A lease this process took or shortened: the reaper looks when it ends, not a poll later. */
  private noteLease(portalId: string, leaseUntil: number, wake: boolean) {
    const at = this.nextReapAt.get(portalId);
    if (at === undefined || leaseUntil >= at) return;
    this.nextReapAt.set(portalId, leaseUntil);
    if (wake) this.wakers.get(portalId)?.signal('lease');
  }

  /** One pass: reap expired leases, dispatch every dialing campaign. Returns when the next pass is needed. */
  async pass(portalId: string, stop?: AbortSignal): Promise<number> {
    let next = Infinity;
    const now = this.clock.now();
    if (now >= (this.nextReapAt.get(portalId) ?? -Infinity)) {
      const expiry = await this.reap(portalId);
      const poll = Math.max(REAP_EVERY_MS, this.timings.claimLeaseMs / 2);
      this.nextReapAt.set(portalId, Math.min(Math.max(expiry, now + REAP_EVERY_MS), now + poll));
    }
    const campaigns = await this.listCampaigns(portalId);
    next = Math.min(next, await this.runScheduledStarts(portalId, campaigns));
    for (const campaign of campaigns) {
      if (stop?.aborted) break;
      if (campaign.status !== 'active') continue;
      if (!capacityPolicyFor(campaign.settings.dialMode.mode, this.capacity).autoDial) continue;
      next = Math.min(next, await this.dispatch(campaign, stop));
    }
    // read after dispatching: its claims may have moved the next look at the leases earlier
    return Math.min(next, this.nextReapAt.get(portalId)!);
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
    return pickCallerId(settings.callerIds, to, settings.callerIdStrategy, this.callerIdTurn++);
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
      /** Per attempt: when the callee's open window ends (the dial's deadline). */
      const windowEnds = new Map<string, number>();
      // one read for the batch: the numbers' dials by every campaign of the portal
      const numberDials = await this.store.recentDials(
        portalId,
        due.map((l) => l.e164),
        now,
      );
      for (const lead of due) {
        if ((await this.preDialCheck(campaign, lead, now, numberDials.get(lead.e164))) !== 'ok') continue;
        const from = this.chooseCallerId(settings, lead.e164);
        const attemptId = newAttemptId(portalId);
        const localHour = await this.localHourOf(campaign, lead, now);
        windowEnds.set(attemptId, await this.openUntil(campaign, lead));
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
          numberLimits: await this.numberLimitsFor(campaign, lead),
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
          this.noteLease(portalId, attempt.leaseUntil, false);
          this.track(this.sendToCarrier(campaign, attempt, windowEnds.get(attempt.attemptId)));
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
      // A batch is a lot of work on a memory store: let callbacks and timers in before the next one.
      await yieldToEventLoop();
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

  private async locationFor(lead: { e164: string; zone?: string }): Promise<CalleeLocation> {
    const key = `${lead.e164}|${lead.zone ?? ''}`;
    const cached = this.locations.get(key);
    if (cached) return cached;
    // Always the number's zones too: the legal hours hold wherever the callee may be, even with a CRM zone.
    const candidates = await this.zones.candidateZones(lead.e164);
    const location = locationOf(lead.e164, lead.zone, candidates);
    this.locations.set(key, location);
    return location;
  }

  private async localHourOf(campaign: CampaignRecord, lead: { e164: string; zone?: string }, at: number) {
    const rules = callingRules(campaign.settings, this.campaigns.account(campaign.portalId));
    const zone = resolveZones(await this.locationFor(lead), rules.fallbackZone).zones[0];
    return zone ? localHour(at, zone) : undefined;
  }

  /**
   * The number's portal-wide limits for this campaign (the callee's legal 24 h cap, the campaign's minimum gap),
   * enforced by the store over every campaign's dials.
   */
  private async numberLimitsFor(
    campaign: CampaignRecord,
    lead: { e164: string; zone?: string },
  ): Promise<NumberLimits> {
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
  private async preDialCheck(
    campaign: CampaignRecord,
    lead: LeadView,
    now: number,
    numberDials: readonly number[] = [],
  ): Promise<'ok' | 'moved'> {
    const account = this.campaigns.account(campaign.portalId);
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
  private async sendToCarrier(
    campaign: CampaignRecord,
    attempt: AttemptRecord,
    openUntil?: number,
  ): Promise<void> {
    const { portalId, campaignId, settings } = campaign;
    const windowEnd = await this.windowEndFor(campaign, attempt, openUntil);
    const request = dialRequestFor(attempt, settings, this.agentNumber);
    await this.waitForSlot(attempt.notBefore);
    this.observer.dialPlaced(portalId, campaignId);
    await this.placeCall(campaign, attempt, { ...request, notAfter: this.dialDeadline(attempt, windowEnd) });
  }

  /**
   * The carrier must not place the call after the callee's open window ends, nor more than a moment after
   * it is first sent (its pacer slot, or now when the worker is late: the send time is what the rate window
   * recorded), so a retry inside the adapter can neither land outside the window nor burst the rate.
   */
  private dialDeadline(attempt: AttemptRecord, windowEnd: number): number {
    const slot = attempt.notBefore ?? attempt.dialRequestedAt ?? this.clock.now();
    return Math.min(windowEnd, Math.max(slot, this.clock.now()) + DIAL_DEADLINE_ALLOWANCE_MS);
  }

  /** When the callee's current open window ends (from the dispatch's read, or the lead read now). */
  private async windowEndFor(campaign: CampaignRecord, attempt: AttemptRecord, openUntil?: number) {
    let until = openUntil;
    if (until === undefined) {
      const lead = await this.store.getLead(campaign.portalId, attempt.campaignId, attempt.contactId);
      until = await this.openUntil(campaign, {
        e164: attempt.to,
        ...(lead?.zone ? { zone: lead.zone } : {}),
      });
    }
    return until;
  }

  /** When the callee's current open window ends (now, when it is closed: such a dial must not go out). */
  private async openUntil(campaign: CampaignRecord, lead: { e164: string; zone?: string }): Promise<number> {
    const now = this.clock.now();
    const rules = callingRules(campaign.settings, this.campaigns.account(campaign.portalId));
    const openness = checkCallable(now, rules, await this.locationFor(lead));
    return openness.open ? openness.until : now;
  }

  /** Sends the request; a dial that returned a call id is never finalized here, whatever happens after. */
  private async placeCall(campaign: CampaignRecord, attempt: AttemptRecord, request: DialRequest) {
    let providerCallId: string;
    try {
      ({ providerCallId } = await this.dialNow(attempt, request));
    } catch (error) {
      await this.afterDialError(campaign, attempt, error);
      return;
    }
    // The call exists: if this write fails, its callbacks still fold by attempt id and the lease still ends.
    await this.store.markDialed(campaign.portalId, attempt.attemptId, providerCallId);
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
      this.onError(error);
      return;
    }
    const failed = foldCallEvent(initialProgress(), {
      type: 'status',
      attemptId: attempt.attemptId,
      providerCallId: '',
      status: 'failed',
      ...(error.code !== undefined ? { errorCode: error.code } : {}),
      at: this.clock.now(),
    });
    await this.finalize(attempt.portalId, attempt.attemptId, failed, 'dial-error');
  }

  /**
   * Ends a dial-requested attempt the carrier was never asked to place: the lead's history is left as it was
   * before the claim (nothing counted), it is due again now (the pre-dial check then moves it to its next
   * opening), and its locks and slots are freed in the same atomic finish.
   */
  private async requeueNotDialed(campaign: CampaignRecord, attempt: AttemptRecord) {
    const { portalId, campaignId } = campaign;
    for (let tries = 0; tries < 10; tries++) {
      const current = await this.store.getAttempt(portalId, attempt.attemptId);
      if (!current || current.state === 'finished') return;
      const lead = await this.store.getLead(portalId, campaignId, attempt.contactId);
      if (!lead) return;
      const prior = current.priorLead ? decodeProgress(current.priorLead) : null;
      const restored: LeadProgress = prior ?? { ...lead.progress, state: 'queued' };
      const now = this.clock.now();
      const result = await this.store.finishAttempt({
        portalId,
        attemptId: current.attemptId,
        now,
        lead: FINAL_LEAD_STATES.includes(restored.state) ? { ...restored, state: 'retrying' } : restored,
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

  /**
   * Idempotent and order-tolerant: duplicates and late events after the finish are ignored, except a final
   * status of an attempt finished as lost, which corrects its CRM record.
   */
  async handleCallEvent(event: CallEvent): Promise<void> {
    const portalId = portalOfAttempt(event.attemptId);
    if (!portalId) return;
    for (;;) {
      const attempt = await this.store.getAttempt(portalId, event.attemptId);
      if (!attempt) return;
      if (attempt.state === 'finished') {
        await this.correctLostAttempt(attempt, event);
        return;
      }
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
        // only the AMD grace after a final status can end a lease earlier than the reaper expects
        this.noteLease(portalId, lease, true);
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
      if (progress && isFinal(progress)) {
        await this.finalize(portalId, attemptId, progress, 'amd-grace', attempt);
        continue;
      }
      if (await this.askCarrier(attempt, progress, now)) continue;
      await this.finalize(portalId, attemptId, progress, 'lost', attempt);
    }
    await this.reportQueueDepths(portalId);
    return (await this.store.nextLeaseExpiry(portalId)) ?? Infinity;
  }

  /**
   * Before a silent call is presumed lost, asks the carrier (when the adapter can and the call id is known):
   * a final status found there is handled as its callback would have been; a call still queued, ringing or
   * live keeps its contact and slots, its lease extended by another silence period; a carrier that cannot
   * answer is asked again shortly. Returns false when the call is to be finalized as lost: the carrier does not
   * know it, or it has been silent longer than the longest call.
   */
  private async askCarrier(attempt: AttemptRecord, progress: CallProgress | null, now: number) {
    const callId = attempt.providerCallId || progress?.providerCallId;
    if (!this.telephony.fetchStatus || !callId) return false;
    const placedAt = attempt.dialRequestedAt ?? attempt.claimedAt;
    if (now - placedAt > this.timings.maxCallDurationMs) return false;
    const current = progress ?? initialProgress();
    let lease = now + STATUS_RETRY_MS;
    let folded = current;
    try {
      const snapshot = await this.telephony.fetchStatus(callId);
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
        await this.handleCallEvent({
          type: 'amd',
          attemptId: attempt.attemptId,
          providerCallId: callId,
          answeredBy: snapshot.answeredBy,
          at: now,
        });
      }
      if (isFinalStatus(snapshot.status)) {
        await this.handleCallEvent(event);
        return true;
      }
      folded = foldCallEvent(current, event);
      lease = now + this.timings.callbackSilenceMs;
    } catch (error) {
      this.onError(error);
    }
    const fresh = (await this.store.getAttempt(attempt.portalId, attempt.attemptId)) ?? attempt;
    if (fresh.state === 'finished') return true;
    const base: CallProgress = fresh.progress ? JSON.parse(fresh.progress) : current;
    const next = fresh.rev === attempt.rev ? folded : base;
    await this.store.saveProgress(
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
    const campaign = await this.campaignFor(portalId, campaignId);
    if (!campaign) return;
    const c = this.classify(campaign.settings, after, 0);
    const providerCallId = after.providerCallId || attempt.providerCallId;
    await this.store.append(portalId, {
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
      at: this.clock.now(),
    });
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
      this.agentPhones.set(`${portalId}/${agentId}`, parsed.data);
    }
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
      const numberDials = await this.store.recentDials(portalId, [lead.e164], now);
      if ((await this.preDialCheck(campaign, lead, now, numberDials.get(lead.e164))) !== 'ok') continue;
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
        numberLimits: await this.numberLimitsFor(campaign, lead),
      });
      if (claim.ok) {
        const a = claim.attempt;
        this.noteLease(portalId, a.leaseUntil, true);
        return { claimId: a.attemptId, contactId: a.contactId, to: a.to, leaseUntil: a.leaseUntil };
      }
      if (claim.reason === 'inactive') return null;
    }
    return null;
  }

  /**
   * The rep dials the previewed lead: pacer slots are taken now. The claim may be up to previewTimeoutSec old,
   * so the domain's "may I call now?" (window, legal hours, gap, cap) runs again here and the store re-checks
   * the rest atomically with the mark; a refused claim goes back to the queue (or to when it may be called).
   */
  async dialPreview(
    portalId: string,
    claimId: string,
  ): Promise<{ ok: true } | { ok: false; reason: string; waitMs?: number }> {
    const attempt = await this.store.getAttempt(portalId, claimId);
    if (!attempt || attempt.state !== 'claimed')
      return { ok: false, reason: 'claim expired or already used' };
    const campaign = await this.campaigns.get(portalId, attempt.campaignId);
    const now = this.clock.now();
    const lead = await this.store.getLead(portalId, attempt.campaignId, attempt.contactId);
    if (lead) {
      const numberDials = await this.store.recentDials(portalId, [attempt.to], now);
      const ctx = leadContext(
        campaign.settings,
        this.campaigns.account(portalId),
        await this.locationFor(lead),
        withNumberDials(historyOf(lead.progress), numberDials.get(attempt.to) ?? []),
      );
      const verdict = mayCallNow(now, ctx);
      if (!verdict.ok) {
        // a lead that may never be called again is failed by the next claim's pre-dial check
        await this.store.requeueClaimed(portalId, claimId, verdict.nextAt ?? now, now);
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
    const leaseUntil = this.dialLease(campaign.settings, now);
    const pace = this.paceLevels(portalId, attempt.from);
    let marked: Awaited<ReturnType<Store['markDialRequested']>>;
    try {
      marked = await this.store.markDialRequested(
        portalId,
        claimId,
        now,
        leaseUntil,
        [started],
        pace,
        await this.numberLimitsFor(campaign, lead ?? { e164: attempt.to }),
      );
    } catch (error) {
      // the reply may be lost after the mark ran: then the attempt is ours to dial
      const after = await this.store.getAttempt(portalId, claimId).catch(() => null);
      if (after?.state !== 'dial-requested' || after.dialRequestedAt !== now) throw error;
      marked = { ok: true };
    }
    if (marked.ok) this.noteLease(portalId, leaseUntil, true);
    if (!marked.ok && marked.reason !== 'paced' && marked.reason !== 'not-claimed') {
      // refused for good (DNC, removed, paused, expired, ...): the claim is undone, the next claim decides
      const at = marked.reason === 'number-limit' ? now + (marked.waitMs ?? 0) : now;
      await this.store.requeueClaimed(portalId, claimId, at, now);
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
    const windowEnd = await this.windowEndFor(campaign, attempt);
    this.observer.dialPlaced(portalId, campaignId);
    await this.placeCall(campaign, attempt, {
      ...dialRequestFor(attempt, settings, this.agentNumber),
      notAfter: this.dialDeadline(attempt, windowEnd),
    });
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

  // ------------------------------------------------------------------ scheduled starts

  /**
   * Starts (or marks overdue) the scheduled campaigns whose start has come, from the list the pass already read.
   * Returns when the pass must run again for the next planned start: workers sleep until then, no polling.
   */
  private async runScheduledStarts(portalId: string, campaigns: readonly CampaignRecord[]): Promise<number> {
    const now = this.clock.now();
    let planned = Infinity;
    let due = false;
    for (const c of campaigns) {
      if (c.status !== 'scheduled' || !c.settings.startAt) continue;
      const startAt = Date.parse(c.settings.startAt);
      if (startAt > now) planned = Math.min(planned, startAt);
      else due = true;
    }
    if (!due) return planned;
    const checkAt = this.nextStartCheckAt.get(portalId) ?? -Infinity;
    if (now < checkAt) return Math.min(planned, checkAt);
    this.nextStartCheckAt.set(portalId, now + SCHEDULE_CHECK_EVERY_MS);
    const moved = await this.campaigns.runScheduledStarts(portalId, campaigns);
    if (moved.started.length || moved.overdue.length) {
      this.forgetCampaigns(portalId);
      return now; // a started campaign dials on the very next pass
    }
    return Math.min(planned, now + SCHEDULE_CHECK_EVERY_MS);
  }

  // ------------------------------------------------------------------ click-to-call

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
    const account = this.campaigns.account(portalId);
    const phone = normalizePhone(parsed.data.phone, account.defaultRegion);
    if (!phone.ok) throw new EngineInputError(`phone: not a callable number (${phone.reason})`);
    const rep = normalizePhone(parsed.data.repPhone, account.defaultRegion);
    if (!rep.ok) throw new EngineInputError(`repPhone: not a callable number (${rep.reason})`);
    const e164 = phone.phone.e164;
    const now = this.clock.now();

    if (await this.store.isDoNotCall(portalId, e164))
      throw new ClickToCallRefusedError('DNC', `${contactId}: the number is on the do-not-call list`);
    const campaign = await this.manualCampaign(portalId, callerId, rep.phone.e164);
    const location = await this.locationFor({ e164, ...(timeZone ? { zone: timeZone } : {}) });
    const verdict = mayCallNow(now, leadContext(campaign.settings, account, location, EMPTY_HISTORY));
    if (!verdict.ok) {
      const reason = verdict.reason === 'NO_ZONE' ? 'NO_ZONE' : 'LEGAL_HOURS';
      throw new ClickToCallRefusedError(
        reason,
        `${contactId}: outside the legal calling hours in the callee's time zone` +
          (verdict.nextAt !== null ? ` (callable from ${new Date(verdict.nextAt).toISOString()})` : ''),
      );
    }

    const lead = await this.manualLead(portalId, contactId, e164, timeZone, now);
    const claim = await this.store.claim({
      portalId,
      campaignId: MANUAL_CAMPAIGN_ID,
      contactId,
      expectRev: lead.rev,
      attemptId: newAttemptId(portalId),
      from: callerId,
      now,
      leaseUntil: now + this.timings.claimLeaseMs,
      maxLive: null,
      busyRetryMs: this.timings.busyRetryMs,
      amd: false,
      // the rep's phone, rung first (see dialRequestFor)
      agentId: rep.phone.e164,
      localHour: await this.localHourOf(campaign, lead, now),
    });
    if (!claim.ok) {
      if (claim.reason === 'dnc')
        throw new ClickToCallRefusedError('DNC', `${contactId}: the number is on the do-not-call list`);
      if (claim.reason === 'contact-busy' || claim.reason === 'changed' || claim.reason === 'not-due')
        throw new ClickToCallRefusedError('LIVE_ATTEMPT', `${contactId}: a call to this contact is live`);
      throw new EngineInputError(`${contactId}: cannot call this contact (${claim.reason})`);
    }
    const dialed = await this.dialPreview(portalId, claim.attempt.attemptId);
    if (!dialed.ok) {
      await this.skipPreview(portalId, claim.attempt.attemptId);
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
    const existing = await this.store.getCampaign(portalId, MANUAL_CAMPAIGN_ID);
    if (existing) return existing;
    const now = this.clock.now();
    const record: CampaignRecord = {
      portalId,
      campaignId: MANUAL_CAMPAIGN_ID,
      settings: manualCampaignSettings(callerId, repPhone),
      status: 'active',
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    if (await this.store.createCampaign(record)) return record;
    const raced = await this.store.getCampaign(portalId, MANUAL_CAMPAIGN_ID);
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
    const lead = await this.store.getLead(portalId, MANUAL_CAMPAIGN_ID, contactId);
    if (!lead) {
      const row = { contactId, e164, ...(zone ? { zone } : {}), dueAt: now };
      const enrolled = await this.store.enroll(portalId, MANUAL_CAMPAIGN_ID, [row], [], now);
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
      const queued = await this.store.updateLead(
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
    const fresh = await this.store.getLead(portalId, MANUAL_CAMPAIGN_ID, contactId);
    if (!fresh) throw new Error(`contact ${contactId} could not be queued for a manual call`);
    return fresh;
  }
}
