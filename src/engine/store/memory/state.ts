/**
 * The memory store's shared state: per portal, the records the Redis store keeps in keys (campaigns, leads, the
 * due queues, DNC and removed sets, live locks, attempts, leases, pacer levels, the number log), plus the event
 * log and the wake-up emitter. The parts (campaigns, leads, claims, attempts, wake-ups) each implement one port
 * over it. One process only: every operation runs to completion without awaiting, so each is atomic.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../../shared/clock.js';
import type { EngineEvent, SkipReason } from '../../events.js';
import { FINAL_LEAD_STATES } from '../../events.js';
import { acquireAll, newLevelState } from '../../pacer.js';
import type { PacerLevelState } from '../../pacer.js';
import { decodeProgress } from '../codec.js';
import type { AttemptRecord, CampaignRecord, EnrollResult, NumberLimits, PaceLevel } from '../store.js';
import { MemoryEventLog } from './events.js';

export interface CampaignData {
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

export interface PortalData {
  campaigns: Map<string, CampaignData>;
  dnc: Set<string>;
  removed: Set<string>;
  /** Contact and number locks; `claimOnly`: a claim not yet dial-requested (free once its lease ends). */
  live: Map<string, { attemptId: string; until: number; claimOnly?: boolean }>;
  attempts: Map<string, AttemptRecord>;
  leases: Map<string, number>;
  pacer: Map<string, PacerLevelState>;
  /** Portal-wide recent dial times per number, oldest first (mirrors lua/number_log.lua). */
  recent: Map<string, number[]>;
}

export const DAY_MS = 86_400_000;
/** As in lua/number_log.lua: more than any legal cap needs. */
const NUMBER_LOG_KEEP = 5;

export function numberLogTimes(p: PortalData, e164: string, now: number): number[] {
  const times = (p.recent.get(e164) ?? []).filter((t) => t > now - DAY_MS);
  if (!times.length) p.recent.delete(e164);
  return times;
}

/** The earliest time >= now a new dial of the number keeps its portal-wide cap and gap. */
export function numberLogEarliest(p: PortalData, e164: string, now: number, limits?: NumberLimits): number {
  const times = numberLogTimes(p, e164, now);
  let earliest = now;
  const last = times[times.length - 1];
  const gap = limits?.minGapMs ?? 0;
  if (last !== undefined && gap > 0) earliest = Math.max(earliest, last + gap);
  const cap = limits?.maxPer24h ?? 0;
  if (cap > 0 && times.length >= cap) earliest = Math.max(earliest, times[times.length - cap]! + DAY_MS);
  return earliest;
}

export function numberLogAppend(p: PortalData, e164: string, at: number): void {
  const times = numberLogTimes(p, e164, at);
  times.push(Math.ceil(at));
  p.recent.set(e164, times.slice(-NUMBER_LOG_KEEP));
}

export const clone = <T>(v: T): T => structuredClone(v);
export const isFinalLead = (raw: string | undefined) => FINAL_LEAD_STATES.includes(decodeProgress(raw).state);

export class MemoryState {
  readonly portals = new Map<string, PortalData>();
  readonly events: MemoryEventLog;
  readonly wakes = new EventEmitter();

  constructor(
    readonly clock: Clock,
    maxEvents?: number,
  ) {
    this.events = new MemoryEventLog(clock, maxEvents);
    this.wakes.setMaxListeners(0);
  }

  portal(portalId: string): PortalData {
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

  campaign(portalId: string, campaignId: string): CampaignData {
    const c = this.portal(portalId).campaigns.get(campaignId);
    if (!c) throw new Error(`unknown campaign ${campaignId} in portal ${portalId}`);
    return c;
  }

  level(p: PortalData, name: string): PacerLevelState {
    let s = p.pacer.get(name);
    if (!s) {
      s = newLevelState();
      p.pacer.set(name, s);
    }
    return s;
  }

  appendAll(portalId: string, events: readonly EngineEvent[]): void {
    for (const e of events) this.events.appendSync(portalId, e);
  }

  acquire(
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

  extendLease(p: PortalData, a: AttemptRecord, leaseUntil: number) {
    a.leaseUntil = leaseUntil;
    p.leases.set(a.attemptId, leaseUntil);
    for (const name of a.levels) {
      const live = this.level(p, name).live;
      if (live.has(a.attemptId)) live.set(a.attemptId, leaseUntil);
    }
    for (const key of [`c:${a.contactId}`, `n:${a.to}`]) {
      const lock = p.live.get(key);
      if (lock?.attemptId === a.attemptId) {
        lock.until = leaseUntil;
        delete lock.claimOnly; // dial-requested or later: a call may be up
      }
    }
  }

  releaseHolds(p: PortalData, a: AttemptRecord) {
    for (const key of [`c:${a.contactId}`, `n:${a.to}`]) {
      if (p.live.get(key)?.attemptId === a.attemptId) p.live.delete(key);
    }
    for (const name of a.levels) this.level(p, name).live.delete(a.attemptId);
    p.leases.delete(a.attemptId);
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
