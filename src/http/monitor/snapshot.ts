/**
 * The live monitor's model: a per-campaign snapshot and the reducer that folds one engine event into it.
 *
 * The same functions run on the server (building the snapshot from the event log) and in the browser (the page
 * applies each server-sent event). The page gets them as plain JS through `Function.prototype.toString`, so each
 * exported function here must be self-contained: no imports, no module-level helpers, no TS-only runtime syntax.
 */
import type { CallStatus } from '../../domain/call.js';
import type { CampaignStatus } from '../../domain/lifecycle.js';
import type { Disposition } from '../../domain/outcome.js';
import type { EngineEvent } from '../../engine/events.js';

export interface PaceSettings {
  callsPerSecond: number;
  maxConcurrentCalls: number;
  /** Predictive mode's abandonment ceiling, percent. */
  maxAbandonRatePct?: number;
}

export interface LeadCounters {
  queued: number;
  dialing: number;
  live: number;
  reached: number;
  retrying: number;
  failed: number;
  dnc: number;
  removed: number;
  skipped: number;
}

export interface ActiveCall {
  attemptId: string;
  contactId: string;
  /** Masked by the server before it leaves the backend. */
  to: string;
  attempt: number;
  startedAt: number;
  status: CallStatus;
}

export interface TimeBucket {
  /** Bucket start, epoch ms (engine clock). */
  start: number;
  attempts: number;
  outcomes: Partial<Record<Disposition, number>>;
}

export interface CampaignAlert {
  at: number;
  level: 'warning' | 'error';
  message: string;
}

export interface CampaignView {
  campaignId: string;
  name: string;
  status: CampaignStatus | 'unknown';
  pace: PaceSettings | null;
  counters: LeadCounters;
  attempts: number;
  outcomes: Partial<Record<Disposition, number>>;
  activeCalls: Record<string, ActiveCall>;
  /** Contacts waiting for a retry, so a later start or removal takes them off the right counter. */
  retryingContacts: Record<string, true>;
  timeline: TimeBucket[];
  /** Engine times of recent dial starts, for the measured pace. */
  recentStarts: number[];
  /** Calls answered by a person (abandonment denominator) and those nobody was free to take. */
  answered: number;
  abandoned: number;
  alerts: CampaignAlert[];
  /** Agents' campaigns: the agents by state (from presence, not the event stream). */
  agents?: AgentsByState;
  /** Predictive campaigns: dialing predictively or the fallback and its reason. */
  pacing?: PacingView;
  /** The current abandonment period as the engine counts it (answered by a person, abandoned). */
  abandonmentPeriod?: { periodStart: number; answered: number; abandoned: number };
}

/** A campaign's agents by state (agents logged in to several campaigns count in each). */
export interface AgentsByState {
  loggedIn: number;
  idle: number;
  ringing: number;
  talking: number;
  wrapping: number;
  away: number;
}

/** How the engine paces the campaign now: predictive, or the fallback to progressive and why. */
export type PacingView =
  { mode: 'predictive'; headroom: number } | { mode: 'progressive'; fallback: string; reason: string };

export interface MonitorSnapshot {
  portalId: string;
  /** Id of the last event folded in; the page streams events after it. '0' = none yet. */
  lastEventId: string;
  /** Engine time of the last event (the page's "now", so an accelerated demo clock reads right). */
  at: number;
  bucketMs: number;
  maxBuckets: number;
  paceWindowMs: number;
  campaigns: Record<string, CampaignView>;
}

export function emptySnapshot(
  portalId: string,
  options: { bucketMs?: number; maxBuckets?: number; paceWindowMs?: number } = {},
): MonitorSnapshot {
  return {
    portalId,
    lastEventId: '0',
    at: 0,
    bucketMs: options.bucketMs ?? 60_000,
    maxBuckets: options.maxBuckets ?? 30,
    paceWindowMs: options.paceWindowMs ?? 10_000,
    campaigns: {},
  };
}

/** Orders stream ids: Redis "ms-seq" ids numerically, anything else by length then text. */
export function compareEventIds(a: string, b: string): number {
  const pa = /^(\d+)-(\d+)$/.exec(a);
  const pb = /^(\d+)-(\d+)$/.exec(b);
  if (pa && pb) {
    const ms = Number(pa[1]) - Number(pb[1]);
    return ms !== 0 ? Math.sign(ms) : Math.sign(Number(pa[2]) - Number(pb[2]));
  }
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Folds one event into the snapshot and returns the new snapshot (the input is not modified; unchanged
 * campaigns are shared). Events at or before `lastEventId` are ignored, so redelivery is harmless.
 */
export function applyEvent(snapshot: MonitorSnapshot, event: EngineEvent): MonitorSnapshot {
  const compare = (a: string, b: string): number => {
    const pa = /^(\d+)-(\d+)$/.exec(a);
    const pb = /^(\d+)-(\d+)$/.exec(b);
    if (pa && pb) {
      const ms = Number(pa[1]) - Number(pb[1]);
      return ms !== 0 ? Math.sign(ms) : Math.sign(Number(pa[2]) - Number(pb[2]));
    }
    if (a.length !== b.length) return a.length < b.length ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  };
  if (
    event.id !== undefined &&
    snapshot.lastEventId !== '0' &&
    compare(event.id, snapshot.lastEventId) <= 0
  ) {
    return snapshot;
  }
  const next: MonitorSnapshot = {
    ...snapshot,
    lastEventId: event.id ?? snapshot.lastEventId,
    at: Math.max(snapshot.at, event.at),
  };
  if (!('campaignId' in event)) return next;

  const prev = snapshot.campaigns[event.campaignId];
  const c: CampaignView = prev
    ? { ...prev, counters: { ...prev.counters } }
    : {
        campaignId: event.campaignId,
        name: event.campaignId,
        status: 'unknown',
        pace: null,
        counters: {
          queued: 0,
          dialing: 0,
          live: 0,
          reached: 0,
          retrying: 0,
          failed: 0,
          dnc: 0,
          removed: 0,
          skipped: 0,
        },
        attempts: 0,
        outcomes: {},
        activeCalls: {},
        retryingContacts: {},
        timeline: [],
        recentStarts: [],
        answered: 0,
        abandoned: 0,
        alerts: [],
      };
  next.campaigns = { ...snapshot.campaigns, [event.campaignId]: c };

  const bucketStart = Math.floor(event.at / snapshot.bucketMs) * snapshot.bucketMs;
  const bucketFor = (): TimeBucket => {
    const timeline = c.timeline.slice();
    let bucket = timeline.find((b) => b.start === bucketStart);
    if (bucket) {
      bucket = { ...bucket, outcomes: { ...bucket.outcomes } };
      timeline[timeline.findIndex((b) => b.start === bucketStart)] = bucket;
    } else {
      bucket = { start: bucketStart, attempts: 0, outcomes: {} };
      timeline.push(bucket);
      timeline.sort((a, b) => a.start - b.start);
    }
    c.timeline = timeline.slice(-snapshot.maxBuckets);
    return bucket;
  };
  const recount = () => {
    let live = 0;
    let dialing = 0;
    for (const id in c.activeCalls) {
      if (c.activeCalls[id]?.status === 'in-progress') live += 1;
      else dialing += 1;
    }
    c.counters.live = live;
    c.counters.dialing = dialing;
  };
  const takeFromWaiting = (contactId: string, likelyRetry: boolean) => {
    if (c.retryingContacts[contactId] || (likelyRetry && c.counters.retrying > 0)) {
      const rest = { ...c.retryingContacts };
      delete rest[contactId];
      c.retryingContacts = rest;
      c.counters.retrying = Math.max(0, c.counters.retrying - 1);
    } else {
      c.counters.queued = Math.max(0, c.counters.queued - 1);
    }
  };

  switch (event.type) {
    case 'campaign.status':
      c.status = event.to;
      break;
    case 'campaign.alert':
      c.alerts = [...c.alerts, { at: event.at, level: event.level, message: event.message }].slice(-5);
      break;
    case 'enrollment': {
      c.counters.queued += event.enrolled;
      let skipped = 0;
      for (const reason in event.skipped) skipped += (event.skipped as Record<string, number>)[reason] ?? 0;
      c.counters.skipped += skipped;
      break;
    }
    case 'attempt.started': {
      if (c.activeCalls[event.attemptId]) break;
      takeFromWaiting(event.contactId, event.attempt > 1);
      c.activeCalls = {
        ...c.activeCalls,
        [event.attemptId]: {
          attemptId: event.attemptId,
          contactId: event.contactId,
          to: event.to,
          attempt: event.attempt,
          startedAt: event.at,
          status: 'initiated',
        },
      };
      c.attempts += 1;
      bucketFor().attempts += 1;
      c.recentStarts = c.recentStarts.filter((t) => t > event.at - snapshot.paceWindowMs).concat(event.at);
      recount();
      break;
    }
    case 'attempt.status': {
      const call = c.activeCalls[event.attemptId];
      if (!call) break;
      c.activeCalls = { ...c.activeCalls, [event.attemptId]: { ...call, status: event.status } };
      recount();
      break;
    }
    case 'attempt.finished': {
      if (c.activeCalls[event.attemptId]) {
        const rest = { ...c.activeCalls };
        delete rest[event.attemptId];
        c.activeCalls = rest;
      }
      if (event.campaignName) c.name = event.campaignName;
      c.outcomes = { ...c.outcomes, [event.disposition]: (c.outcomes[event.disposition] ?? 0) + 1 };
      const bucket = bucketFor();
      bucket.outcomes[event.disposition] = (bucket.outcomes[event.disposition] ?? 0) + 1;
      const abandoned = event.category === 'ABANDONED';
      const personAnswered = [
        'CONNECTED',
        'LEFT_LIVE_MESSAGE',
        'CONFIRMED',
        'DECLINED',
        'CALLBACK_REQUESTED',
        'DO_NOT_CALL',
      ].includes(event.disposition);
      if (abandoned) c.abandoned += 1;
      if (abandoned || personAnswered) c.answered += 1;
      switch (event.nextState) {
        case 'retrying':
          c.counters.retrying += 1;
          c.retryingContacts = { ...c.retryingContacts, [event.contactId]: true };
          break;
        case 'queued':
        case 'reached':
        case 'failed':
        case 'dnc':
        case 'removed':
          c.counters[event.nextState] += 1;
          break;
        default:
          break;
      }
      recount();
      break;
    }
    case 'lead.removed': {
      const stillLive = Object.values(c.activeCalls).some((call) => call.contactId === event.contactId);
      if (!stillLive) takeFromWaiting(event.contactId, false);
      if (event.reason === 'DNC') c.counters.dnc += 1;
      else c.counters.removed += 1;
      break;
    }
    default:
      break;
  }
  return next;
}

/** Measured dials per second over the pace window ending at the snapshot's time. */
export function measuredPace(campaign: CampaignView, now: number, paceWindowMs: number): number {
  let starts = 0;
  for (const t of campaign.recentStarts) if (t > now - paceWindowMs && t <= now) starts += 1;
  return starts / (paceWindowMs / 1000);
}

/** Share of person-answered calls that nobody was free to take, 0..1 (0 before any answer). */
export function abandonmentRate(campaign: CampaignView): number {
  return campaign.answered > 0 ? campaign.abandoned / campaign.answered : 0;
}

/** Folds a list of events into a snapshot (the server's catch-up and the tests' oracle). */
export function foldEvents(snapshot: MonitorSnapshot, events: readonly EngineEvent[]): MonitorSnapshot {
  let current = snapshot;
  for (const event of events) current = applyEvent(current, event);
  return current;
}

/** The shared functions as plain JS for the page (see the module comment). */
export function monitorCoreScript(): string {
  // esbuild (tsx) wraps named inner functions in __name(...); the page gets a no-op stand-in.
  return [
    'var __name = function (f) { return f; };',
    `var applyEvent = ${applyEvent.toString()};`,
    `var measuredPace = ${measuredPace.toString()};`,
    `var abandonmentRate = ${abandonmentRate.toString()};`,
    `var emptySnapshot = ${emptySnapshot.toString()};`,
  ].join('\n');
}
