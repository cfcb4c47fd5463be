/** How campaigns leave the API: list rows, the detail with its allowed moves, the live status. */
import { TRANSITIONS } from '../../domain/lifecycle.js';
import type { CampaignAction } from '../../domain/lifecycle.js';
import type { CampaignRecord, Store } from '../../engine/store/store.js';
import type { CampaignView, MonitorSnapshot } from '../monitor/snapshot.js';
import { measuredPace } from '../monitor/snapshot.js';
import { API_ACTIONS } from './schemas.js';

/** The moves the pages may offer in this status: lifecycle actions, plus edit, schedule and delete. */
export function allowedActions(record: CampaignRecord): string[] {
  const rules = TRANSITIONS[record.status];
  const offered: string[] = [...API_ACTIONS, 'schedule', 'edit'].filter(
    (a) => rules[a as CampaignAction] !== undefined,
  );
  if (rules.archive !== undefined) offered.push('delete');
  return offered;
}

export function campaignDetail(record: CampaignRecord) {
  return {
    id: record.campaignId,
    name: record.settings.name,
    status: record.status,
    settings: record.settings,
    version: record.version,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(record.settings.startAt ? { scheduledStartAt: Date.parse(record.settings.startAt) } : {}),
    allowedActions: allowedActions(record),
  };
}

/** Answered = calls someone picked up; total = calls placed (seed 001's list columns). */
export function campaignSummary(record: CampaignRecord, view: CampaignView | undefined) {
  const total = view?.attempts ?? 0;
  const answered = view?.answered ?? 0;
  return {
    id: record.campaignId,
    name: record.settings.name,
    status: record.status,
    mode: record.settings.dialMode.mode,
    answered,
    notAnswered: Math.max(0, total - answered),
    total,
    updatedAt: record.updatedAt,
  };
}

/** "+1212•••4567": enough for a manager to tell calls apart, not enough to read the number off the screen. */
export function maskNumber(e164: string): string {
  return e164.length <= 8 ? '•••' : `${e164.slice(0, 5)}•••${e164.slice(-4)}`;
}

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 10_000) / 10_000 : null);

export async function liveStatus(
  store: Store,
  record: CampaignRecord,
  snapshot: MonitorSnapshot | undefined,
  now: number,
) {
  const { portalId, campaignId } = record;
  const [states, enrollment] = await Promise.all([
    store.leadStates(portalId, campaignId),
    store.enrollmentCounts(portalId, campaignId),
  ]);
  const view = snapshot?.campaigns[campaignId];
  const skipped = Object.entries(enrollment)
    .filter(([k]) => k !== 'enrolled')
    .reduce((sum, [, n]) => sum + n, 0);
  const measuredCps = view && snapshot ? measuredPace(view, now, snapshot.paceWindowMs) : 0;
  const remaining = states.queued + states.retrying;
  return {
    status: record.status,
    counts: {
      queued: states.queued,
      dialing: states.dialing,
      live: view?.counters.live ?? 0,
      reached: states.reached,
      retrying: states.retrying,
      failed: states.failed + states.dnc,
      skipped,
    },
    activeCalls: Object.values(view?.activeCalls ?? {}).map((c) => ({
      attemptId: c.attemptId,
      contactId: c.contactId,
      toMasked: maskNumber(c.to),
      state: c.status,
      since: c.startedAt,
    })),
    answerRate: ratio(view?.answered ?? 0, view?.attempts ?? 0),
    abandonRate: ratio(view?.abandoned ?? 0, view?.answered ?? 0),
    pace: { configuredCps: record.settings.pace.callsPerSecond, measuredCps },
    etaMinutes: remaining === 0 ? 0 : measuredCps > 0 ? Math.ceil(remaining / measuredCps / 60) : null,
  };
}
