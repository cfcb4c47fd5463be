/**
 * The embedded store: one process, everything in memory. Each method runs synchronously between awaits, which
 * is what makes it atomic; it mirrors the Redis scripts rule for rule and passes the same contract suite.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../shared/clock.js';
import { realClock } from '../../shared/clock.js';
import type { EngineEvent, LeadState, SkipReason, StoredEvent } from '../events.js';
import { FINAL_LEAD_STATES } from '../events.js';
import { acquireAll, moveGrant, newLevelState, prune } from '../pacer.js';
import type { PacerLevelState } from '../pacer.js';
import { decodeInfo, decodeProgress, encodeInfo, encodeProgress } from './codec.js';
import type { LeadProgress } from './codec.js';
import { MemoryAgents } from './memory-agents.js';
import { EMPTY_COUNTS, EMPTY_STATES } from './store.js';
import type {
  AttemptRecord,
  BatchClaimRequest,
  BatchClaimResult,
  ClaimDenial,
  WrapUpRequest,
  WrapUpResult,
  CampaignRecord,
  ClaimRequest,
  ClaimResult,
  EnrollResult,
  EnrollRow,
  FinishRequest,
  FinishResult,
  DialRequestDenial,
  LeadView,
  NumberLimits,
  PaceLevel,
  Store,
} from './store.js';
import { MemoryEventLog } from './memory-events.js';

interface CampaignData {
  record: string;
  status: CampaignRecord['status'];
  cps: number;
  cap: number;
  info: Map<string, string>;
  progress: Map<string, string>;
  numbers: Map<string, string>;
  due: Map<string, number>;
  skipped: Map<string, SkipReason>;
  enrolled: number;
  agents: Set<string>;
}

interface PortalData {
  campaigns: Map<string, CampaignData>;
  dnc: Set<string>;
  removed: Set<string>;
  live: Map<string, { attemptId: string; until: number }>;
  attempts: Map<string, AttemptRecord>;
  leases: Map<string, number>;
  pacer: Map<string, PacerLevelState>;
  /** Portal-wide recent dial times per number, oldest first (mirrors lua/number_log.lua). */
  recent: Map<string, number[]>;
}

const DAY_MS = 86_400_000;
/** As in lua/number_log.lua: more than any legal cap needs. */
const NUMBER_LOG_KEEP = 5;

function numberLogTimes(p: PortalData, e164: string, now: number): number[] {
  const times = (p.recent.get(e164) ?? []).filter((t) => t > now - DAY_MS);
  if (!times.length) p.recent.delete(e164);
  return times;
}

/** The earliest time >= now a new dial of the number keeps its portal-wide cap and gap. */
function numberLogEarliest(p: PortalData, e164: string, now: number, limits?: NumberLimits): number {
  const times = numberLogTimes(p, e164, now);
  let earliest = now;
  const last = times[times.length - 1];
  const gap = limits?.minGapMs ?? 0;
  if (last !== undefined && gap > 0) earliest = Math.max(earliest, last + gap);
  const cap = limits?.maxPer24h ?? 0;
  if (cap > 0 && times.length >= cap) earliest = Math.max(earliest, times[times.length - cap]! + DAY_MS);
  return earliest;
}

function numberLogAppend(p: PortalData, e164: string, at: number): void {
  const times = numberLogTimes(p, e164, at);
  times.push(Math.ceil(at));
  p.recent.set(e164, times.slice(-NUMBER_LOG_KEEP));
}

const clone = <T>(v: T): T => structuredClone(v);
const isFinalLead = (raw: string | undefined) => FINAL_LEAD_STATES.includes(decodeProgress(raw).state);

export class MemoryStore implements Store {
  private readonly portals = new Map<string, PortalData>();
  private readonly events: MemoryEventLog;
  private readonly wakes = new EventEmitter();
  private readonly agents = new MemoryAgents((portalId) => this.wakes.emit(portalId, 'agents'));

  constructor(
    private readonly clock: Clock = realClock,
    options: { maxEvents?: number } = {},
  ) {
    this.events = new MemoryEventLog(clock, options.maxEvents);
    this.wakes.setMaxListeners(0);
  }

  private portal(portalId: string): PortalData {
    let p = this.portals.get(portalId);
    if (!p) {
      p = {
        campaigns: new Map(),
        dnc: new Set(),
        removed: new Set(),
        live: new Map(),
        attempts: new Map(),
        leases: new Map(),
        pacer: new Map(),
        recent: new Map(),
      };
      this.portals.set(portalId, p);
    }
    return p;
  }

  private campaign(portalId: string, campaignId: string): CampaignData {
    const c = this.portal(portalId).campaigns.get(campaignId);
    if (!c) throw new Error(`unknown campaign ${campaignId} in portal ${portalId}`);
    return c;
  }

  private level(p: PortalData, name: string): PacerLevelState {
    let s = p.pacer.get(name);
    if (!s) {
      s = newLevelState();
      p.pacer.set(name, s);
    }
    return s;
  }

  private appendAll(portalId: string, events: readonly EngineEvent[]): void {
    for (const e of events) this.events.appendSync(portalId, e);
  }

  // ---- campaigns ----

  async createCampaign(record: CampaignRecord): Promise<boolean> {
    const p = this.portal(record.portalId);
    if (p.campaigns.has(record.campaignId)) return false;
    p.campaigns.set(record.campaignId, {
      record: JSON.stringify(record),
      status: record.status,
      cps: record.settings.pace.callsPerSecond,
      cap: record.settings.pace.maxConcurrentCalls,
      info: new Map(),
      progress: new Map(),
      numbers: new Map(),
      due: new Map(),
      skipped: new Map(),
      enrolled: 0,
      agents: new Set(),
    });
    return true;
  }

  async getCampaign(portalId: string, campaignId: string): Promise<CampaignRecord | null> {
    const c = this.portal(portalId).campaigns.get(campaignId);
    return c ? { ...(JSON.parse(c.record) as CampaignRecord), status: c.status } : null;
  }

  async listCampaigns(portalId: string): Promise<CampaignRecord[]> {
    const ids = [...this.portal(portalId).campaigns.keys()];
    return (await Promise.all(ids.map((id) => this.getCampaign(portalId, id)))).filter(
      (c): c is CampaignRecord => c !== null,
    );
  }

  async saveCampaign(record: CampaignRecord, events: EngineEvent[] = []): Promise<boolean> {
    const c = this.portal(record.portalId).campaigns.get(record.campaignId);
    if (!c) return false;
    const stored = JSON.parse(c.record) as CampaignRecord;
    if (stored.version !== record.version - 1) return false;
    c.record = JSON.stringify(record);
    c.status = record.status;
    c.cps = record.settings.pace.callsPerSecond;
    c.cap = record.settings.pace.maxConcurrentCalls;
    this.appendAll(record.portalId, events);
    this.wakes.emit(record.portalId, 'campaign');
    return true;
  }

  // ---- enrollment ----

  async enroll(
    portalId: string,
    campaignId: string,
    rows: EnrollRow[],
    skipped: { contactId: string; reason: SkipReason }[],
    _now: number,
  ): Promise<EnrollResult> {
    const p = this.portal(portalId);
    const c = this.campaign(portalId, campaignId);
    const result: EnrollResult = { enrolled: [], skipped: [] };
    const skip = (contactId: string, reason: SkipReason) => {
      if (c.skipped.has(contactId) || c.info.has(contactId)) return;
      c.skipped.set(contactId, reason);
      result.skipped.push({ contactId, reason });
    };
    for (const s of skipped) skip(s.contactId, s.reason);
    for (const row of rows) {
      if (c.info.has(row.contactId)) continue; // already enrolled: idempotent
      const holder = c.numbers.get(row.e164);
      if (holder !== undefined && holder !== row.contactId) {
        skip(row.contactId, 'DUPLICATE');
        continue;
      }
      if (p.dnc.has(row.e164) || p.removed.has(row.contactId)) {
        skip(row.contactId, 'DNC');
        continue;
      }
      c.info.set(row.contactId, encodeInfo(row.e164, row.zone));
      c.numbers.set(row.e164, row.contactId);
      c.due.set(row.contactId, row.dueAt);
      c.enrolled++;
      result.enrolled.push(row.contactId);
    }
    if (result.enrolled.length || result.skipped.length) {
      this.events.appendSync(portalId, enrollmentEvent(portalId, campaignId, this.clock.now(), result));
      this.wakes.emit(portalId, 'enroll');
    }
    return result;
  }

  async enrollmentCounts(portalId: string, campaignId: string) {
    const c = this.campaign(portalId, campaignId);
    const counts = EMPTY_COUNTS();
    counts.enrolled = c.enrolled;
    for (const reason of c.skipped.values()) counts[reason]++;
    return counts;
  }

  async skippedContacts(portalId: string, campaignId: string) {
    return [...this.campaign(portalId, campaignId).skipped].map(([contactId, reason]) => ({
      contactId,
      reason,
    }));
  }

  private view(c: CampaignData, contactId: string): LeadView | null {
    const info = c.info.get(contactId);
    if (info === undefined) return null;
    const rev = c.progress.get(contactId) ?? '';
    return {
      contactId,
      ...decodeInfo(info),
      progress: decodeProgress(rev),
      rev,
      dueAt: c.due.get(contactId) ?? null,
    };
  }

  async getLead(portalId: string, campaignId: string, contactId: string) {
    return this.view(this.campaign(portalId, campaignId), contactId);
  }

  async leadStates(portalId: string, campaignId: string) {
    const c = this.campaign(portalId, campaignId);
    const states = EMPTY_STATES();
    for (const id of c.info.keys()) states[decodeProgress(c.progress.get(id)).state]++;
    return states;
  }

  async unenroll(portalId: string, campaignId: string, contactId: string, now: number) {
    const c = this.campaign(portalId, campaignId);
    const raw = c.progress.get(contactId);
    if (!c.info.has(contactId) || isFinalLead(raw)) return false;
    c.progress.set(contactId, encodeProgress({ ...decodeProgress(raw), state: 'removed' }));
    c.due.delete(contactId);
    this.events.appendSync(portalId, {
      type: 'lead.removed',
      portalId,
      campaignId,
      contactId,
      reason: 'UNENROLLED',
      at: now,
    });
    return true;
  }

  async addDoNotCall(portalId: string, numbers: string[]) {
    for (const n of numbers) this.portal(portalId).dnc.add(n);
  }

  async isDoNotCall(portalId: string, number: string) {
    return this.portal(portalId).dnc.has(number);
  }

  async removeContact(portalId: string, contactId: string) {
    this.portal(portalId).removed.add(contactId);
  }

  // ---- due queue ----

  async peekDue(portalId: string, campaignId: string, now: number, limit: number, offset = 0) {
    const c = this.campaign(portalId, campaignId);
    const due = [...c.due].filter(([, at]) => at <= now);
    due.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    return due.slice(offset, offset + limit).map(([id]) => this.view(c, id)!);
  }

  async dueCount(portalId: string, campaignId: string) {
    return this.campaign(portalId, campaignId).due.size;
  }

  async nextDueAt(portalId: string, campaignId: string) {
    let min: number | null = null;
    for (const at of this.campaign(portalId, campaignId).due.values()) if (min === null || at < min) min = at;
    return min;
  }

  async reschedule(
    portalId: string,
    campaignId: string,
    contactId: string,
    expectRev: string,
    at: number | null,
    finalState?: LeadState,
    events: EngineEvent[] = [],
  ) {
    const c = this.campaign(portalId, campaignId);
    if ((c.progress.get(contactId) ?? '') !== expectRev || !c.due.has(contactId)) return false;
    if (finalState) {
      c.progress.set(contactId, encodeProgress({ ...decodeProgress(expectRev), state: finalState }));
      c.due.delete(contactId);
    } else if (at !== null) c.due.set(contactId, at);
    this.appendAll(portalId, events);
    return true;
  }

  async updateLead(
    portalId: string,
    campaignId: string,
    contactId: string,
    expectRev: string,
    progress: LeadProgress,
    dueAt: number | null,
    events: EngineEvent[] = [],
  ) {
    const c = this.campaign(portalId, campaignId);
    if (!c.info.has(contactId) || (c.progress.get(contactId) ?? '') !== expectRev) return false;
    c.progress.set(contactId, encodeProgress(progress));
    if (dueAt === null) c.due.delete(contactId);
    else c.due.set(contactId, dueAt);
    this.appendAll(portalId, events);
    this.wakes.emit(portalId, 'wake');
    return true;
  }

  // ---- attempts ----

  async claim(req: ClaimRequest, earlyMs = 0, dialing = false): Promise<ClaimResult> {
    const p = this.portal(req.portalId);
    const c = this.campaign(req.portalId, req.campaignId);
    const { now, contactId } = req;
    // attempt ids are unique per request: this one is already this request's grant (as the Redis scripts answer)
    const earlier = p.attempts.get(req.attemptId);
    if (earlier) return { ok: true, attempt: clone(earlier) };
    if (c.status !== 'active') return { ok: false, reason: 'inactive' };
    const dueAt = c.due.get(contactId);
    if (dueAt === undefined || dueAt > now) return { ok: false, reason: 'not-due' };
    const raw = c.progress.get(contactId) ?? '';
    if (raw !== req.expectRev) return { ok: false, reason: 'changed' };
    const { e164 } = decodeInfo(c.info.get(contactId)!);
    const prior = decodeProgress(raw);
    const blocked: 'removed' | 'dnc' | null = p.removed.has(contactId)
      ? 'removed'
      : p.dnc.has(e164)
        ? 'dnc'
        : null;
    if (blocked) {
      c.progress.set(contactId, encodeProgress({ ...prior, state: blocked }));
      c.due.delete(contactId);
      this.events.appendSync(req.portalId, {
        type: 'lead.removed',
        portalId: req.portalId,
        campaignId: req.campaignId,
        contactId,
        reason: blocked === 'dnc' ? 'DNC' : 'DELETED',
        at: now,
      });
      return { ok: false, reason: blocked };
    }
    for (const key of [`c:${contactId}`, `n:${e164}`]) {
      const lock = p.live.get(key);
      if (lock && lock.until > now) {
        c.due.set(contactId, now + req.busyRetryMs);
        return { ok: false, reason: 'contact-busy', waitMs: req.busyRetryMs };
      }
    }
    // the per-number cap and gap hold portal-wide: too soon moves the lead to the earliest allowed time
    const earliest = numberLogEarliest(p, e164, now, req.numberLimits);
    if (earliest > now) {
      c.due.set(contactId, earliest);
      return { ok: false, reason: 'number-limit', waitMs: earliest - now };
    }
    const campaignLevel = this.level(p, `c:${req.campaignId}`);
    if (req.maxLive !== null) {
      prune(campaignLevel, now);
      if (campaignLevel.live.size >= req.maxLive) return { ok: false, reason: 'capacity' };
    }
    let notBefore = now;
    if (req.pace) {
      const granted = this.acquire(
        p,
        c,
        req.campaignId,
        req.pace,
        now,
        req.attemptId,
        req.leaseUntil,
        earlyMs,
        dialing,
      );
      if (!granted.ok) return { ok: false, reason: 'paced', waitMs: granted.waitMs };
      notBefore = granted.notBefore;
    }
    // commit
    c.due.delete(contactId);
    c.progress.set(contactId, encodeProgress({ ...prior, state: 'dialing', attemptId: req.attemptId }));
    p.live.set(`c:${contactId}`, { attemptId: req.attemptId, until: req.leaseUntil });
    p.live.set(`n:${e164}`, { attemptId: req.attemptId, until: req.leaseUntil });
    const attempt: AttemptRecord = {
      attemptId: req.attemptId,
      portalId: req.portalId,
      campaignId: req.campaignId,
      contactId,
      to: e164,
      from: req.from,
      state: 'claimed',
      ordinal: prior.attempts + 1,
      dueAt,
      claimedAt: now,
      leaseUntil: req.leaseUntil,
      rev: 0,
      priorLead: raw,
      levels: req.pace ? req.pace.map((l) => levelName(l, req.campaignId)) : [],
      amd: req.amd,
      ...(req.agentId !== undefined ? { agentId: req.agentId } : {}),
      ...(req.localHour !== undefined ? { localHour: req.localHour } : {}),
      ...(notBefore > now ? { notBefore } : {}),
    };
    p.attempts.set(req.attemptId, attempt);
    p.leases.set(req.attemptId, req.leaseUntil);
    return { ok: true, attempt: clone(attempt) };
  }

  private acquire(
    p: PortalData,
    c: CampaignData,
    campaignId: string,
    pace: PaceLevel[],
    now: number,
    attemptId: string,
    leaseUntil: number,
    earlyMs = 0,
    dialing = false,
  ) {
    return acquireAll(
      pace.map((l) => ({
        state: this.level(p, levelName(l, campaignId)),
        // The campaign level reads the record on every acquire: a pace change applies to the next call.
        limits:
          l.name === 'campaign'
            ? { callsPerSecond: c.cps, maxConcurrent: c.cap }
            : { callsPerSecond: l.callsPerSecond, maxConcurrent: l.maxConcurrent },
      })),
      now,
      attemptId,
      leaseUntil,
      earlyMs,
      dialing,
    );
  }

  async claimBatch(req: BatchClaimRequest): Promise<BatchClaimResult> {
    const result: BatchClaimResult = { granted: [], denied: [] };
    const leaseUntil = req.dialLeaseUntil ?? req.claimLeaseUntil;
    for (const c of req.candidates) {
      const r = await this.claim(
        {
          portalId: req.portalId,
          campaignId: req.campaignId,
          contactId: c.contactId,
          expectRev: c.expectRev,
          attemptId: c.attemptId,
          from: c.from,
          now: req.now,
          leaseUntil,
          ...(req.pace ? { pace: req.pace } : {}),
          maxLive: req.maxLive,
          busyRetryMs: req.busyRetryMs,
          amd: req.amd,
          ...(c.localHour !== undefined ? { localHour: c.localHour } : {}),
          ...(c.numberLimits ? { numberLimits: c.numberLimits } : {}),
        },
        req.earlyMs ?? 0,
        req.dialLeaseUntil !== undefined,
      );
      if (r.ok) {
        const p = this.portal(req.portalId);
        const a = p.attempts.get(c.attemptId)!;
        if (req.dialLeaseUntil !== undefined && a.state === 'claimed') {
          a.state = 'dial-requested';
          a.dialRequestedAt = req.now;
          numberLogAppend(p, a.to, a.notBefore ?? req.now);
          if (c.started) this.appendAll(req.portalId, [c.started]);
        }
        result.granted.push(clone(a));
        continue;
      }
      if (r.reason === 'inactive' || r.reason === 'capacity' || r.reason === 'paced') {
        result.stop = { reason: r.reason, ...(r.waitMs !== undefined ? { waitMs: r.waitMs } : {}) };
        return result;
      }
      result.denied.push({ contactId: c.contactId, reason: r.reason as ClaimDenial });
    }
    return result;
  }

  async noteDispatched(portalId: string, attemptId: string, levels: readonly string[], at: number) {
    const p = this.portal(portalId);
    for (const name of levels) moveGrant(this.level(p, name), attemptId, at);
  }

  async wrapUpAttempt(req: WrapUpRequest): Promise<WrapUpResult> {
    const p = this.portal(req.portalId);
    const a = p.attempts.get(req.attemptId);
    if (!a) return 'missing';
    if (a.wrapUp) return a.wrapUp === req.wrapUp ? 'same' : 'conflict';
    if (req.mode === 'pending') {
      if (a.state === 'finished') return 'finished';
      a.wrapUp = req.wrapUp;
      return 'saved';
    }
    if (a.state !== 'finished') return 'not-finished';
    const c = this.campaign(req.portalId, req.campaignId);
    if ((c.progress.get(req.contactId) ?? '') !== req.expectRev) return 'changed';
    if (req.dncNumber) p.dnc.add(req.dncNumber);
    c.progress.set(req.contactId, encodeProgress(req.lead));
    if (req.dueAt === null) c.due.delete(req.contactId);
    else c.due.set(req.contactId, req.dueAt);
    a.wrapUp = req.wrapUp;
    this.appendAll(req.portalId, req.events);
    this.wakes.emit(req.portalId, 'wrap-up');
    return 'applied';
  }

  async getAttempt(portalId: string, attemptId: string) {
    const a = this.portal(portalId).attempts.get(attemptId);
    return a ? clone(a) : null;
  }

  async markDialRequested(
    portalId: string,
    attemptId: string,
    now: number,
    leaseUntil: number,
    events: EngineEvent[],
    pace?: PaceLevel[],
    numberLimits?: NumberLimits,
  ): Promise<{ ok: true } | { ok: false; reason: DialRequestDenial; waitMs?: number }> {
    const p = this.portal(portalId);
    const a = p.attempts.get(attemptId);
    if (a?.state === 'dial-requested' && a.dialRequestedAt === now && a.leaseUntil === leaseUntil)
      return { ok: true }; // this same request again
    if (!a || a.state !== 'claimed') return { ok: false, reason: 'not-claimed' };
    // a preview claim is held for minutes: everything the claim checked is checked again at the dial
    if (a.leaseUntil <= now) return { ok: false, reason: 'expired' };
    const c = this.campaign(portalId, a.campaignId);
    if (c.status !== 'active') return { ok: false, reason: 'inactive' };
    if (p.removed.has(a.contactId)) return { ok: false, reason: 'removed' };
    if (p.dnc.has(a.to)) return { ok: false, reason: 'dnc' };
    const lead = decodeProgress(c.progress.get(a.contactId));
    if (lead.state !== 'dialing' || lead.attemptId !== attemptId) return { ok: false, reason: 'changed' };
    const earliest = numberLogEarliest(p, a.to, now, numberLimits);
    if (earliest > now) return { ok: false, reason: 'number-limit', waitMs: earliest - now };
    let sendAt = Math.max(now, a.notBefore ?? now);
    if (pace) {
      const granted = this.acquire(p, c, a.campaignId, pace, now, attemptId, leaseUntil, 0, true);
      if (!granted.ok) return { ok: false, reason: 'paced', waitMs: granted.waitMs };
      a.levels = pace.map((l) => levelName(l, a.campaignId));
      sendAt = Math.max(now, granted.notBefore);
    }
    numberLogAppend(p, a.to, sendAt);
    a.state = 'dial-requested';
    a.dialRequestedAt = now;
    this.extendLease(p, a, leaseUntil);
    this.appendAll(portalId, events);
    return { ok: true };
  }

  async recentDials(portalId: string, numbers: readonly string[], now: number) {
    const p = this.portal(portalId);
    const out = new Map<string, number[]>();
    for (const n of numbers) {
      const times = (p.recent.get(n) ?? []).filter((t) => t > now - DAY_MS);
      if (times.length) out.set(n, times);
    }
    return out;
  }

  private extendLease(p: PortalData, a: AttemptRecord, leaseUntil: number) {
    a.leaseUntil = leaseUntil;
    p.leases.set(a.attemptId, leaseUntil);
    for (const name of a.levels) {
      const live = this.level(p, name).live;
      if (live.has(a.attemptId)) live.set(a.attemptId, leaseUntil);
    }
    for (const key of [`c:${a.contactId}`, `n:${a.to}`]) {
      const lock = p.live.get(key);
      if (lock?.attemptId === a.attemptId) lock.until = leaseUntil;
    }
  }

  async markDialed(portalId: string, attemptId: string, providerCallId: string) {
    const a = this.portal(portalId).attempts.get(attemptId);
    if (!a || a.state !== 'dial-requested') return false;
    a.state = 'dialed';
    a.providerCallId = providerCallId;
    return true;
  }

  async saveProgress(
    portalId: string,
    attemptId: string,
    expectRev: number,
    progress: string,
    leaseUntil: number,
    events: EngineEvent[],
  ) {
    const p = this.portal(portalId);
    const a = p.attempts.get(attemptId);
    if (!a || a.rev !== expectRev || a.state === 'finished') return false;
    a.progress = progress;
    a.rev++;
    this.extendLease(p, a, leaseUntil);
    this.appendAll(portalId, events);
    return true;
  }

  async finishAttempt(req: FinishRequest): Promise<FinishResult> {
    const p = this.portal(req.portalId);
    const a = p.attempts.get(req.attemptId);
    if (!a) return 'missing';
    if (a.state === 'finished') return 'already-finished';
    if ((a.wrapUp ?? '') !== (req.wrapUp ?? '')) return 'stale-wrap-up';
    if (req.expectRev !== undefined && a.rev !== req.expectRev) return 'stale-progress';
    if (req.progress !== undefined) {
      a.progress = req.progress;
      a.rev++;
    }
    const c = this.campaign(req.portalId, a.campaignId);
    const current = c.progress.get(a.contactId);
    // A lead removed or flagged while its call was live stays removed: the retry is dropped.
    if (!isFinalLead(current)) {
      c.progress.set(a.contactId, encodeProgress(req.lead));
      if (req.nextAt !== null) c.due.set(a.contactId, req.nextAt);
      else c.due.delete(a.contactId);
    }
    this.releaseHolds(p, a);
    if (req.dncNumber) p.dnc.add(req.dncNumber);
    if (req.pauseCampaign && c.status === 'active') {
      const record = JSON.parse(c.record) as CampaignRecord;
      c.status = 'paused';
      c.record = JSON.stringify({
        ...record,
        status: 'paused',
        version: record.version + 1,
        updatedAt: req.now,
      });
    }
    a.state = 'finished';
    this.appendAll(req.portalId, req.events);
    this.wakes.emit(req.portalId, 'finish');
    return 'finished';
  }

  private releaseHolds(p: PortalData, a: AttemptRecord) {
    for (const key of [`c:${a.contactId}`, `n:${a.to}`]) {
      if (p.live.get(key)?.attemptId === a.attemptId) p.live.delete(key);
    }
    for (const name of a.levels) this.level(p, name).live.delete(a.attemptId);
    p.leases.delete(a.attemptId);
  }

  async requeueClaimed(portalId: string, attemptId: string, at: number, _now: number) {
    const p = this.portal(portalId);
    const a = p.attempts.get(attemptId);
    if (!a || a.state !== 'claimed') return false;
    const c = this.campaign(portalId, a.campaignId);
    const current = c.progress.get(a.contactId);
    if (!isFinalLead(current)) {
      if (a.priorLead) c.progress.set(a.contactId, a.priorLead);
      else c.progress.delete(a.contactId);
      c.due.set(a.contactId, at);
    }
    this.releaseHolds(p, a);
    p.attempts.delete(attemptId);
    this.wakes.emit(portalId, 'requeue');
    return true;
  }

  async expiredAttempts(portalId: string, now: number, limit: number) {
    return [...this.portal(portalId).leases]
      .filter(([, until]) => until <= now)
      .sort((a, b) => a[1] - b[1])
      .slice(0, limit)
      .map(([id]) => id);
  }

  async nextLeaseExpiry(portalId: string) {
    let min: number | null = null;
    for (const until of this.portal(portalId).leases.values()) if (min === null || until < min) min = until;
    return min;
  }

  async liveCount(portalId: string, level: string, now: number) {
    const s = this.level(this.portal(portalId), level);
    prune(s, now);
    return s.live.size;
  }

  async setAgentAvailable(portalId: string, campaignId: string, agentId: string, available: boolean) {
    const agents = this.campaign(portalId, campaignId).agents;
    if (available) agents.add(agentId);
    else agents.delete(agentId);
    if (available) this.wakes.emit(portalId, 'agents');
  }

  async availableAgents(portalId: string, campaignId: string) {
    return this.campaign(portalId, campaignId).agents.size;
  }

  // ---- agents (see memory-agents.ts) ----

  setAgentPresence = (...a: Parameters<MemoryAgents['setAgentPresence']>) =>
    this.agents.setAgentPresence(...a);
  getAgent = (...a: Parameters<MemoryAgents['getAgent']>) => this.agents.getAgent(...a);
  listAgents = (...a: Parameters<MemoryAgents['listAgents']>) => this.agents.listAgents(...a);
  agentCounts = (...a: Parameters<MemoryAgents['agentCounts']>) => this.agents.agentCounts(...a);
  answerCall = (...a: Parameters<MemoryAgents['answerCall']>) => this.agents.answerCall(...a);
  endAgentCall = (...a: Parameters<MemoryAgents['endAgentCall']>) => this.agents.endAgentCall(...a);
  finishAgentWrapUp = (...a: Parameters<MemoryAgents['finishAgentWrapUp']>) =>
    this.agents.finishAgentWrapUp(...a);
  abandonmentTally = (...a: Parameters<MemoryAgents['abandonmentTally']>) =>
    this.agents.abandonmentTally(...a);
  abandonedNumbers = (...a: Parameters<MemoryAgents['abandonedNumbers']>) =>
    this.agents.abandonedNumbers(...a);
  getPredictiveState = (...a: Parameters<MemoryAgents['getPredictiveState']>) =>
    this.agents.getPredictiveState(...a);
  savePredictiveState = (...a: Parameters<MemoryAgents['savePredictiveState']>) =>
    this.agents.savePredictiveState(...a);

  // ---- wake-ups ----

  async wake(portalId: string) {
    this.wakes.emit(portalId, 'wake');
  }

  async onWake(portalId: string, listener: (reason: string) => void) {
    this.wakes.on(portalId, listener);
    return async () => {
      this.wakes.off(portalId, listener);
    };
  }

  // ---- events ----

  append(portalId: string, event: EngineEvent) {
    return this.events.append(portalId, event);
  }
  ensureGroup(portalId: string, group: string) {
    return this.events.ensureGroup(portalId, group);
  }
  readGroup(portalId: string, group: string, consumer: string, opts: { count: number; blockMs: number }) {
    return this.events.readGroup(portalId, group, consumer, opts);
  }
  readPending(portalId: string, group: string, consumer: string, opts: { afterId: string; count: number }) {
    return this.events.readPending(portalId, group, consumer, opts);
  }
  ack(portalId: string, group: string, ids: readonly string[]) {
    return this.events.ack(portalId, group, ids);
  }
  claimStale(
    portalId: string,
    group: string,
    consumer: string,
    opts: { minIdleMs: number; count: number },
  ): Promise<StoredEvent[]> {
    return this.events.claimStale(portalId, group, consumer, opts);
  }
  tail(portalId: string, afterId: string, opts: { count: number; blockMs: number }) {
    return this.events.tail(portalId, afterId, opts);
  }

  async close() {
    this.events.close();
    this.wakes.removeAllListeners();
  }

  /** Used by the clock-less helpers in tests. */
  get time(): Clock {
    return this.clock;
  }
}

export function levelName(level: PaceLevel, campaignId: string): string {
  return level.name === 'campaign' ? `c:${campaignId}` : level.name;
}

export function enrollmentEvent(
  portalId: string,
  campaignId: string,
  at: number,
  result: EnrollResult,
): EngineEvent {
  const skipped: Partial<Record<SkipReason, number>> = {};
  for (const s of result.skipped) skipped[s.reason] = (skipped[s.reason] ?? 0) + 1;
  return { type: 'enrollment', portalId, campaignId, at, enrolled: result.enrolled.length, skipped };
}

export type { LeadProgress };
