/**
 * The engine's storage port. Two adapters pass one contract suite: Redis (production, any number of worker
 * processes, every multi-key change one Lua script) and memory (embedded, one process). Every operation that
 * must be atomic across records (claim, finish, requeue) is ONE call here, so the engine never needs a lock.
 */
import type { CampaignStatus } from '../../domain/lifecycle.js';
import type { CampaignSettings } from '../../domain/settings.js';
import type { EngineEvent, EventLog, LeadState, SkipReason } from '../events.js';
import type { AgentStore } from './agents.js';
import type { LeadProgress } from './codec.js';

export interface CampaignRecord {
  portalId: string;
  campaignId: string;
  settings: CampaignSettings;
  status: CampaignStatus;
  /** Optimistic version: every save must name the version it read. */
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface EnrollRow {
  contactId: string;
  e164: string;
  zone?: string;
  /** First dial time (already inside the calling window). */
  dueAt: number;
}

export interface EnrollResult {
  /** Contacts newly enrolled by this call. */
  enrolled: string[];
  /** Newly recorded skips (a contact skipped before is not counted again). */
  skipped: { contactId: string; reason: SkipReason }[];
}

export interface LeadView {
  contactId: string;
  e164: string;
  zone?: string;
  progress: LeadProgress;
  /** Encoded progress as stored: the compare-and-set token for claim/reschedule. */
  rev: string;
  /** Due time in the campaign's queue, null when not queued. */
  dueAt: number | null;
}

/** One send-time note (see ClaimStore.noteDispatched). */
export interface DispatchNote {
  attemptId: string;
  levels: readonly string[];
  at: number;
}

/** One carrier call id to record (see AttemptStore.markDialed). */
export interface DialedMark {
  attemptId: string;
  providerCallId: string;
}

export type AttemptState = 'claimed' | 'dial-requested' | 'dialed' | 'finished';

export interface AttemptRecord {
  attemptId: string;
  portalId: string;
  campaignId: string;
  contactId: string;
  to: string;
  from: string;
  state: AttemptState;
  /** 1-based attempt number for this lead. */
  ordinal: number;
  dueAt: number;
  claimedAt: number;
  dialRequestedAt?: number;
  providerCallId?: string;
  /** Lease expiry: past it, the reaper recovers or finalizes the attempt. */
  leaseUntil: number;
  /** Optimistic version of the progress field. */
  rev: number;
  /** JSON of the CallProgress folded so far. */
  progress?: string;
  /** The lead's encoded progress before the claim (restored when a claimed attempt is requeued). */
  priorLead: string;
  /** Pacer levels holding a concurrency slot for this attempt. */
  levels: string[];
  agentId?: string;
  amd: boolean;
  /** Local hour of the callee when claimed (compliance report). */
  localHour?: number;
  /** A rep's wrap-up (JSON of a WrapUp): pending until the finish applies it, or already applied. */
  wrapUp?: string;
  /** Batch claims only: the call must not reach the carrier before this (its slot in the rate window). */
  notBefore?: number;
}

export interface PaceLevel {
  /** e.g. `c:<campaignId>`, `acct`, `n:<callerId>`. */
  name: string;
  callsPerSecond: number;
  maxConcurrent: number;
}

/**
 * The callee number's limits, computed by the domain for the campaign about to dial it. The store enforces them
 * portal-wide (over the dials of every campaign) atomically with the claim and the dial-request.
 */
export interface NumberLimits {
  /** Most dials of this number in any rolling 24 h (the callee's law, e.g. Florida: 3); absent: none. */
  maxPer24h?: number;
  /** Least time between two dials of this number (the dialing campaign's minGapMinutes). */
  minGapMs: number;
}

/** Why a claimed attempt may not be dial-requested now (see markDialRequested). */
export type DialRequestDenial =
  'not-claimed' | 'paced' | 'expired' | 'inactive' | 'removed' | 'dnc' | 'changed' | 'number-limit';

/** The longest call (DEFAULT_TIMINGS.maxCallDurationMs): the default hard bound of a live lock past its lease. */
export const DEFAULT_LOCK_BOUND_MS = 4 * 3_600_000;

export interface ClaimRequest {
  portalId: string;
  campaignId: string;
  contactId: string;
  /** Lead progress as peeked: the claim fails with `changed` if it moved since. */
  expectRev: string;
  attemptId: string;
  from: string;
  now: number;
  leaseUntil: number;
  /** Pacer levels to acquire atomically with the claim; the campaign level takes its limits from the record. */
  pace?: PaceLevel[];
  /** Dial-mode capacity: most live attempts the campaign may have (null: only the pacer's cap). */
  maxLive: number | null;
  /** When the contact is live in another campaign, try again this much later. */
  busyRetryMs: number;
  /**
   * An expired lease means "unknown", never "free": a contact or number stays locked by an unfinished attempt
   * until its finish (or requeue) releases it, or until this long after the lock's lease (a hard bound for an
   * orphaned lock; default DEFAULT_LOCK_BOUND_MS, the longest call). Issue 9 #1.
   */
  lockBoundMs?: number;
  amd: boolean;
  agentId?: string;
  localHour?: number;
  /** Checked portal-wide; too soon moves the lead to the earliest allowed time (`number-limit`). */
  numberLimits?: NumberLimits;
}

/** number-limit: the number's portal-wide cap or gap; the lead was moved to its earliest allowed time. */
export type ClaimDenial =
  | 'inactive'
  | 'not-due'
  | 'changed'
  | 'removed'
  | 'dnc'
  | 'contact-busy'
  | 'capacity'
  | 'paced'
  | 'number-limit';

export interface BatchCandidate {
  contactId: string;
  /** Lead progress as peeked: skipped with `changed` if it moved since. */
  expectRev: string;
  attemptId: string;
  from: string;
  localHour?: number;
  /** Appended when the attempt is written straight as dial-requested (`dialLeaseUntil`). */
  started?: EngineEvent;
  /** Checked portal-wide (denied as `number-limit`); a dial-requested grant is recorded in the number log. */
  numberLimits?: NumberLimits;
  /** The rep a preview claim is for (single claims only). */
  agentId?: string;
}

export interface BatchClaimRequest {
  portalId: string;
  campaignId: string;
  now: number;
  /** In order: the first ones get the pacer's slots first. */
  candidates: BatchCandidate[];
  claimLeaseUntil: number;
  /**
   * When set, a granted attempt is written directly as dial-requested with this lease (auto-dial: saves a
   * round trip per dial). It is then never dialed again: a worker that dies before telephony.dial costs the
   * lead one attempt (finalized as lost when the lease ends), never a second call.
   */
  dialLeaseUntil?: number;
  pace?: PaceLevel[];
  maxLive: number | null;
  busyRetryMs: number;
  /**
   * An expired lease means "unknown", never "free": a contact or number stays locked by an unfinished attempt
   * until its finish (or requeue) releases it, or until this long after the lock's lease (a hard bound for an
   * orphaned lock; default DEFAULT_LOCK_BOUND_MS, the longest call). Issue 9 #1.
   */
  lockBoundMs?: number;
  amd: boolean;
  /**
   * A grant may come up to this many ms before its rate window has room (default 0); the attempt's
   * `notBefore` then says when its request may go to the carrier. Granting a little ahead lets the worker
   * send the call on the dot instead of a whole pass late, so lateness does not pile up window after window.
   */
  earlyMs?: number;
  /**
   * The campaign version (CampaignRecord.version) whose settings the pre-dial checks used. When set and the
   * stored version differs (paused, edited, resumed since), nothing is claimed: the batch stops with
   * `settings-changed` and the caller re-reads the campaign and checks again.
   */
  campaignVersion?: number;
}

export interface BatchClaimResult {
  granted: AttemptRecord[];
  denied: { contactId: string; reason: ClaimDenial }[];
  /** Why the batch stopped early (the remaining candidates were left untouched). */
  stop?: { reason: 'inactive' | 'capacity' | 'paced' | 'settings-changed'; waitMs?: number };
}

export type WrapUpRequest =
  | { mode: 'pending'; portalId: string; attemptId: string; wrapUp: string }
  | {
      mode: 'apply';
      portalId: string;
      attemptId: string;
      wrapUp: string;
      campaignId: string;
      contactId: string;
      /** Lead progress as read: the change is refused with `changed` if it moved since. */
      expectRev: string;
      lead: LeadProgress;
      dueAt: number | null;
      /** Added to the portal's do-not-call set in the same atomic change. */
      dncNumber?: string;
      events: EngineEvent[];
    };

/**
 * saved: kept on the unfinished attempt; applied: the finished attempt's lead changed; same: this wrap-up was
 * already recorded (no-op); conflict: a different wrap-up was recorded; finished / not-finished: the attempt's
 * state is not the one the mode expects; changed: the lead moved since it was read.
 */
export type WrapUpResult =
  'saved' | 'applied' | 'same' | 'conflict' | 'finished' | 'not-finished' | 'changed' | 'missing';

export type ClaimResult =
  { ok: true; attempt: AttemptRecord } | { ok: false; reason: ClaimDenial; waitMs?: number };

export interface FinishRequest {
  portalId: string;
  attemptId: string;
  now: number;
  /** The lead's progress after this attempt (ignored if the lead was removed meanwhile). */
  lead: LeadProgress;
  /** Requeue at this time (retry), or null for a final state. */
  nextAt: number | null;
  /** Number to add to the portal's do-not-call set. */
  dncNumber?: string;
  /** Pause the campaign (account configuration error) instead of burning the attempt. */
  pauseCampaign?: boolean;
  events: EngineEvent[];
  /** Why it finished, kept on the attempt for auditing. */
  summary: string;
  /** The wrap-up (as read from the attempt) this finish applied; a different one stored meanwhile refuses it. */
  wrapUp?: string;
  /** The attempt as just read by the caller (saves a read); the store still checks it atomically. */
  attempt?: AttemptRecord;
  /**
   * The call's folded progress (JSON), saved in the same atomic step: a final status that is the first news of
   * the call finishes it in one store call instead of a save then a finish.
   */
  progress?: string;
  /** With `progress`: the progress revision it was folded over; another save since refuses the finish. */
  expectRev?: number;
}

/**
 * stale-wrap-up: a rep saved a wrap-up after the attempt was read: read again and recompute.
 * stale-progress: another callback saved progress since `expectRev`: fold again over it.
 */
export type FinishResult = 'finished' | 'already-finished' | 'missing' | 'stale-wrap-up' | 'stale-progress';

/** Campaign records (optimistic versions). */
export interface CampaignStore {
  createCampaign(record: CampaignRecord): Promise<boolean>;
  getCampaign(portalId: string, campaignId: string): Promise<CampaignRecord | null>;
  listCampaigns(portalId: string): Promise<CampaignRecord[]>;
  /** Saves when the stored version equals `record.version - 1`; appends the events atomically. */
  saveCampaign(record: CampaignRecord, events?: EngineEvent[]): Promise<boolean>;
}

/** Enrollment, the due queue, lead progress, and the portal's do-not-call and removed sets. */
export interface LeadStore {
  enroll(
    portalId: string,
    campaignId: string,
    rows: EnrollRow[],
    skipped: { contactId: string; reason: SkipReason }[],
    now: number,
  ): Promise<EnrollResult>;
  enrollmentCounts(portalId: string, campaignId: string): Promise<Record<'enrolled' | SkipReason, number>>;
  skippedContacts(portalId: string, campaignId: string): Promise<{ contactId: string; reason: SkipReason }[]>;
  getLead(portalId: string, campaignId: string, contactId: string): Promise<LeadView | null>;
  leadStates(portalId: string, campaignId: string): Promise<Record<LeadState, number>>;
  /** Takes this contact out of one campaign (no effect on a live attempt, which finishes normally). */
  unenroll(portalId: string, campaignId: string, contactId: string, now: number): Promise<boolean>;
  /** Portal-wide: numbers nobody may dial, contacts no campaign may dial (checked atomically at claim). */
  addDoNotCall(portalId: string, numbers: string[]): Promise<void>;
  isDoNotCall(portalId: string, number: string): Promise<boolean>;
  removeContact(portalId: string, contactId: string): Promise<void>;
  /**
   * The CRM changed the lead's number or zone: updated (queue time unchanged; the pre-dial check re-reads them),
   * missing (no lead, or a final one), or duplicate (another lead of the campaign holds that number).
   */
  setLeadNumber(
    portalId: string,
    campaignId: string,
    contactId: string,
    e164: string,
    zone?: string,
  ): Promise<'updated' | 'missing' | 'duplicate'>;
  /**
   * Privacy deletion: forgets the contact and its numbers everywhere in the portal (leads, skips, number indexes,
   * the removed set, the number log, attempts, and every event that names them). `live`: a call to the contact
   * is under way; nothing was deleted, try again after it ends. Idempotent. A number on the DNC list stays there:
   * the suppression entry names no contact, and dropping it could let the number be dialed again.
   */
  purgeContact(portalId: string, contactId: string, numbers: readonly string[]): Promise<'purged' | 'live'>;

  /** Due leads, earliest first; `offset` skips that many (workers spread over a long queue). */
  peekDue(
    portalId: string,
    campaignId: string,
    now: number,
    limit: number,
    offset?: number,
  ): Promise<LeadView[]>;
  nextDueAt(portalId: string, campaignId: string): Promise<number | null>;
  /** Leads in the campaign's queue, due now or later. */
  dueCount(portalId: string, campaignId: string): Promise<number>;
  /** Moves a queued lead to `at` (or to a final state when `finalState` is set) if it still has `expectRev`. */
  reschedule(
    portalId: string,
    campaignId: string,
    contactId: string,
    expectRev: string,
    at: number | null,
    finalState?: LeadState,
    events?: EngineEvent[],
  ): Promise<boolean>;

  /** Compare-and-set of any lead (queued or not): a rep's wrap-up changes a finished lead's next state. */
  updateLead(
    portalId: string,
    campaignId: string,
    contactId: string,
    expectRev: string,
    progress: LeadProgress,
    dueAt: number | null,
    events?: EngineEvent[],
  ): Promise<boolean>;
}

/**
 * Turning a due lead into an attempt: the claims (single and batch) and the dial request, each one atomic step
 * over the compliance rules (DNC, removed, one live call per number, number limits, pacer).
 */
export interface ClaimStore {
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /** Several claims of one campaign in one atomic step each, in one round trip (see BatchClaimRequest). */
  claimBatch(request: BatchClaimRequest): Promise<BatchClaimResult>;
  /**
   * Moves the attempt's grant in each level's rate window to `at`, the time the request goes to the carrier,
   * so later grants are spaced from what the carrier sees, not from the grant (only ever moves it later).
   */
  noteDispatched(portalId: string, attemptId: string, levels: readonly string[], at: number): Promise<void>;
  /** noteDispatched for many attempts of one portal in one round trip (a worker's sends of one tick). */
  noteDispatchedMany(portalId: string, notes: readonly DispatchNote[]): Promise<void>;
  /**
   * claimed -> dial-requested (durably, before telephony.dial); takes the pace levels for a preview claim.
   * Checks again, atomically, what the claim checked (a preview claim is held for minutes): lease not expired,
   * campaign active, contact not removed, number not DNC, the lead still held by this claim, the number's
   * portal-wide limits. The dial is then recorded in the portal's number log. Denied: nothing changes.
   */
  markDialRequested(
    portalId: string,
    attemptId: string,
    now: number,
    leaseUntil: number,
    events: EngineEvent[],
    pace?: PaceLevel[],
    numberLimits?: NumberLimits,
  ): Promise<{ ok: true } | { ok: false; reason: DialRequestDenial; waitMs?: number }>;
  /** Portal-wide dial times of each number within 24 h before `now`, oldest first (numbers never dialed: absent). */
  recentDials(portalId: string, numbers: readonly string[], now: number): Promise<Map<string, number[]>>;
}

/** An attempt after its claim: carrier progress, wrap-ups, finishing, requeue, leases and the dial-mode inputs. */
export interface AttemptStore {
  /** A rep's wrap-up, stored on the unfinished attempt or applied to the finished attempt's lead. */
  wrapUpAttempt(request: WrapUpRequest): Promise<WrapUpResult>;
  getAttempt(portalId: string, attemptId: string): Promise<AttemptRecord | null>;
  markDialed(portalId: string, attemptId: string, providerCallId: string): Promise<boolean>;
  /** markDialed for many attempts of one portal in one round trip; one answer per mark, in order. */
  markDialedMany(portalId: string, marks: readonly DialedMark[]): Promise<boolean[]>;
  /** Compare-and-set of the folded call progress; extends the attempt's and its slots' leases. */
  saveProgress(
    portalId: string,
    attemptId: string,
    expectRev: number,
    progress: string,
    leaseUntil: number,
    events: EngineEvent[],
    /** The attempt's pacer levels when the caller already knows them (saves a read). */
    levels?: readonly string[],
  ): Promise<boolean>;
  /** Atomic and idempotent: lead state, due time, live lock, concurrency slots, lease, events. */
  finishAttempt(request: FinishRequest): Promise<FinishResult>;
  /** A claimed (never dial-requested) attempt goes back to the queue at `at`, as if never claimed. */
  requeueClaimed(portalId: string, attemptId: string, at: number, now: number): Promise<boolean>;
  /** Attempts whose lease ran out (the reaper's work list). */
  expiredAttempts(portalId: string, now: number, limit: number): Promise<string[]>;
  nextLeaseExpiry(portalId: string): Promise<number | null>;

  // pacer introspection and dial-mode inputs
  liveCount(portalId: string, level: string, now: number): Promise<number>;
  setAgentAvailable(portalId: string, campaignId: string, agentId: string, available: boolean): Promise<void>;
  availableAgents(portalId: string, campaignId: string): Promise<number>;
}

/** Wake-ups (Redis pub/sub per portal / an EventEmitter). */
export interface WakeUps {
  wake(portalId: string): Promise<void>;
  /** `reason` says what happened: 'finish', 'enroll', 'campaign', 'requeue', 'wrap-up' or 'wake'. */
  onWake(portalId: string, listener: (reason: string) => void): Promise<() => Promise<void>>;
}

/** The clock every process shares (Redis TIME; the memory store's own clock): workers check theirs against it. */
export interface SharedClock {
  /** The shared clock's time now, in ms since the epoch. */
  serverTime(): Promise<number>;
}

export interface Closable {
  close(): Promise<void>;
}

/** The whole storage port: what the engine depends on. Each adapter implements every part. */
export type Store = CampaignStore &
  LeadStore &
  ClaimStore &
  AttemptStore &
  AgentStore &
  EventLog &
  WakeUps &
  SharedClock &
  Closable;

export const EMPTY_COUNTS = (): Record<'enrolled' | SkipReason, number> => ({
  enrolled: 0,
  INVALID_NUMBER: 0,
  DUPLICATE: 0,
  DNC: 0,
  NO_CALLABLE_TIME: 0,
  MISSING_NUMBER: 0,
});

export const EMPTY_STATES = (): Record<LeadState, number> => ({
  queued: 0,
  dialing: 0,
  retrying: 0,
  reached: 0,
  failed: 0,
  dnc: 0,
  removed: 0,
});
