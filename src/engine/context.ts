/**
 * What every part of the engine shares: its ports (store, carrier, clock, campaigns, zones), its settings
 * (limits, timings, capacity policies), its hooks (observer, error sink) and the few per-process caches more
 * than one part reads (the campaign list and records, the next look at the leases, the in-flight dials).
 * The engine's modules each take this one object instead of reaching into each other's fields.
 */
import { pickCallerId } from '../domain/caller-id.js';
import type { CampaignSettings } from '../domain/settings.js';
import { DEFAULT_ACCOUNT_LIMITS, DEFAULT_CALLER_ID_LIMITS } from '../shared/account-limits.js';
import { ClockGuard } from './clock-guard.js';
import type { ClockCheckOptions } from './clock-guard.js';
import type { Clock } from '../shared/clock.js';
import type { Telephony } from '../telephony/telephony.js';
import type { AgentDirectory } from './call-flow.js';
import type { CampaignService, ZoneLookup } from './campaigns.js';
import type { CapacityPolicies } from './modes.js';
import { NOOP_OBSERVER } from './observer.js';
import type { EngineObserver } from './observer.js';
import type { AgentCounts } from './store/agents.js';
import { DEFAULT_LOCK_BOUND_MS } from './store/store.js';
import type { CampaignRecord, Store } from './store/store.js';
import type { Waker } from './waker.js';

/** How a campaign was last paced (this process's view, for the monitor). */
export interface CampaignPacing {
  at: number;
  agents: AgentCounts;
  /** Most calls not yet with an agent the campaign may have (null: only the pacer's caps). */
  maxLive: number | null;
  /** Predictive campaigns: dialing predictively, or the fallback and why. */
  predictive?:
    { mode: 'predictive'; headroom: number } | { mode: 'progressive'; fallback: string; reason: string };
  /** The abandonment period's counts (agents' campaigns). */
  tally?: { periodStart: number; answered: number; abandoned: number };
}

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
  maxCallDurationMs: DEFAULT_LOCK_BOUND_MS,
  amdGraceMs: 5_000,
  busyRetryMs: 60_000,
};

/** The limits when none are configured: the same constants the environment's defaults come from. */
export const DEFAULT_LIMITS: EngineLimits = {
  account: { ...DEFAULT_ACCOUNT_LIMITS },
  callerId: { ...DEFAULT_CALLER_ID_LIMITS },
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
  /**
   * Check this worker's clock against the store's shared clock (Redis TIME) and refuse to dial beyond the
   * bound (see ClockGuard). Absent: unchecked (one process, or a virtual clock the store does not share).
   */
  clockCheck?: ClockCheckOptions;
}

/** How long a worker trusts its copy of the campaign list (a 'campaign' wake-up drops it at once). */
const CAMPAIGN_CACHE_MS = 500;

/**
 * The campaign list and records as last read. Only the background loops reuse the list (a direct pass() from a
 * test or tool always reads it); finishing a call reuses a record briefly, since settings are edited only while
 * a campaign is paused and the finish script checks the status itself.
 */
export class CampaignCache {
  private readonly lists = new Map<string, { at: number; records: CampaignRecord[] }>();
  private readonly records = new Map<string, { at: number; record: CampaignRecord }>();
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async list(portalId: string, reuse: boolean): Promise<CampaignRecord[]> {
    if (!reuse) return this.store.listCampaigns(portalId);
    const now = this.clock.now();
    const cached = this.lists.get(portalId);
    if (cached && now - cached.at >= 0 && now - cached.at < CAMPAIGN_CACHE_MS) return cached.records;
    const records = await this.store.listCampaigns(portalId);
    this.lists.set(portalId, { at: now, records });
    return records;
  }

  async get(portalId: string, campaignId: string): Promise<CampaignRecord | null> {
    const key = `${portalId}/${campaignId}`;
    const now = this.clock.now();
    const cached = this.records.get(key);
    if (cached && now - cached.at >= 0 && now - cached.at < CAMPAIGN_CACHE_MS) return cached.record;
    const record = await this.store.getCampaign(portalId, campaignId);
    if (record) this.records.set(key, { at: now, record });
    return record;
  }

  forget(portalId: string) {
    this.lists.delete(portalId);
    for (const key of this.records.keys()) if (key.startsWith(`${portalId}/`)) this.records.delete(key);
  }
}

/**
 * When the reaper next looks for expired leases, per portal, and the running worker loop's wake-up: a lease
 * this process takes or shortens moves the next look earlier, instead of a poll later.
 */
export class LeaseWatch {
  readonly nextReapAt = new Map<string, number>();
  readonly wakers = new Map<string, Waker>();

  note(portalId: string, leaseUntil: number, wake: boolean) {
    const at = this.nextReapAt.get(portalId);
    if (at === undefined || leaseUntil >= at) return;
    this.nextReapAt.set(portalId, leaseUntil);
    if (wake) this.wakers.get(portalId)?.signal('lease');
  }
}

export class EngineContext {
  readonly store: Store;
  readonly telephony: Telephony;
  readonly clock: Clock;
  readonly campaigns: CampaignService;
  readonly zones: ZoneLookup;
  readonly random: () => number;
  readonly limits: (portalId: string) => EngineLimits;
  readonly timings: EngineTimings;
  readonly capacity: CapacityPolicies;
  readonly observer: EngineObserver;
  readonly onError: (error: unknown) => void;
  readonly campaignCache: CampaignCache;
  readonly leases = new LeaseWatch();
  /** The worker clock's check against the shared clock; null when unchecked (see EngineOptions.clockCheck). */
  readonly clockGuard: ClockGuard | null;
  /** True while the worker loops run (they reuse the campaign list briefly). */
  looping = false;
  /** Agent phones given to setAgentAvailable in this process (`portal/agent` -> E.164). */
  readonly agentPhones = new Map<string, string>();
  /** Agent id -> phone number: this process's setAgentAvailable numbers, then the configured directory. */
  readonly agentNumber: AgentDirectory;
  /** `portal/campaign` -> how the dispatcher last paced it (see CampaignPacing). */
  readonly pacing = new Map<string, CampaignPacing>();
  private readonly inFlight = new Set<Promise<void>>();
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
    this.observer = options.observer ?? NOOP_OBSERVER;
    this.campaignCache = new CampaignCache(this.store, this.clock);
    this.clockGuard = options.clockCheck ? new ClockGuard(this.store, this.clock, options.clockCheck) : null;
    const directory = options.agentNumber;
    this.agentNumber = (portalId, agentId) =>
      this.agentPhones.get(`${portalId}/${agentId}`) ?? directory?.(portalId, agentId);
    const onError = options.onError ?? ((e: unknown) => console.error('engine error', e));
    this.onError = (error) => {
      this.observer.error(error);
      onError(error);
    };
  }

  /** Runs a dial in the background; its errors go to onError, and stop() waits for it. */
  track(p: Promise<void>) {
    const wrapped = p.catch(this.onError).finally(() => this.inFlight.delete(wrapped));
    this.inFlight.add(wrapped);
  }

  /** Compliance "now" for the carrier deadline: the shared clock as checked, else this worker's own. */
  checkedNow(): number {
    return this.clockGuard ? this.clockGuard.checkedNow() : this.clock.now();
  }

  async settle(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  chooseCallerId(settings: CampaignSettings, to: string): string {
    return pickCallerId(settings.callerIds, to, settings.callerIdStrategy, this.callerIdTurn++);
  }

  /** The campaign list for the background loops (reused briefly) or a direct call (read fresh). */
  listCampaigns(portalId: string): Promise<CampaignRecord[]> {
    return this.campaignCache.list(portalId, this.looping);
  }
}
