/** Display helpers shared by the cards and pages: pure functions, no React. */
import type { CallStatus, CampaignStatus } from './types';

const STATUS_LABELS: Record<CampaignStatus, string> = {
  draft: 'New',
  scheduled: 'Scheduled',
  active: 'Processing',
  paused: 'Paused',
  completed: 'Finished',
  overdue: 'Overdue',
  canceled: 'Canceled',
  archived: 'Archived',
};

/** Seed 001's status names (New, Scheduled, Processing, Paused, Finished, Overdue, Canceled). */
export function campaignStatusLabel(status: CampaignStatus): string {
  return STATUS_LABELS[status] ?? status;
}

export function campaignStatusVariant(
  status: CampaignStatus,
): 'success' | 'warning' | 'danger' | 'info' | 'default' {
  if (status === 'active') return 'success';
  if (status === 'paused' || status === 'overdue') return 'warning';
  if (status === 'canceled') return 'danger';
  if (status === 'scheduled') return 'info';
  return 'default';
}

const ACTION_LABELS: Record<string, string> = {
  start: 'Start',
  pause: 'Pause',
  resume: 'Resume',
  stop: 'Stop',
  restart: 'Restart',
  archive: 'Archive',
};

/** The lifecycle buttons the detail page can show, in display order; the backend says which are allowed. */
export const LIFECYCLE_ACTIONS = ['start', 'pause', 'resume', 'stop', 'restart', 'archive'] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

export function actionLabel(action: string): string {
  return ACTION_LABELS[action] ?? action;
}

const CALL_STATUS_LABELS: Record<CallStatus, string> = {
  queued: 'Queued',
  'ringing-rep': 'Ringing your phone',
  ringing: 'Ringing the contact',
  'in-progress': 'In progress',
  completed: 'Completed',
  failed: 'Failed',
  blocked: 'Blocked',
};

export function callStatusLabel(status: CallStatus): string {
  return CALL_STATUS_LABELS[status] ?? status;
}

/** A call is over once it completed, failed or was blocked by a compliance rule. */
export function isCallFinished(status: CallStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'blocked';
}

/** Epoch ms -> "2026-12-04 17:05 UTC": one unambiguous zone everywhere (contact-local times come from the API). */
export function formatDateTime(epochMs: number | null | undefined, timeZone = 'UTC'): string {
  if (epochMs === null || epochMs === undefined || !Number.isFinite(epochMs)) return '—';
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(epochMs));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const suffix = timeZone === 'UTC' ? ' UTC' : '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}${suffix}`;
}

/** 0.423 -> "42.3%". */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return `${(ratio * 100).toFixed(1)}%`;
}

/** 125 -> "2m 05s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Minutes until done -> "about 1 h 20 min" / "unknown". */
export function formatEta(minutes: number | null | undefined): string {
  if (minutes === null || minutes === undefined || !Number.isFinite(minutes)) return 'unknown';
  const m = Math.max(0, Math.round(minutes));
  if (m < 60) return `about ${m} min`;
  return `about ${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US');
}
