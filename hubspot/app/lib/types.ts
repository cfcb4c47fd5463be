/** The API's response shapes as the cards use them (API.md). The cards never import the backend. */

export type CampaignStatus =
  'draft' | 'scheduled' | 'active' | 'paused' | 'completed' | 'overdue' | 'canceled' | 'archived';

export interface CampaignSummary {
  id: string;
  name: string;
  status: CampaignStatus;
  mode: string;
  answered: number;
  notAnswered: number;
  total: number;
  updatedAt: number;
}

/** The settings object as the backend's CampaignSettingsSchema accepts it; the form edits a subset of shapes. */
export type CampaignSettings = Record<string, unknown>;

export interface Campaign {
  id: string;
  name: string;
  status: CampaignStatus;
  settings: CampaignSettings;
  version: number;
  createdAt: number;
  updatedAt: number;
  scheduledStartAt?: number;
  allowedActions: string[];
}

export interface CompliancePreview {
  total: number;
  callable: number;
  invalid: number;
  doNotCall: number;
  noCallableTime: number;
  atDailyCap: number;
  duplicates: number;
  summary: string;
}

export interface EnrollmentJob {
  id: string;
  status: string;
  processed: number;
  enrolled: number;
  skipped: number;
  total?: number;
}

export interface LiveStatus {
  status: CampaignStatus;
  counts: Record<'queued' | 'dialing' | 'live' | 'reached' | 'retrying' | 'failed' | 'skipped', number>;
  activeCalls: { attemptId: string; contactId: string; toMasked: string; state: string; since: number }[];
  answerRate: number;
  abandonRate: number;
  pace: { configuredCps: number; measuredCps: number };
  etaMinutes: number | null;
}

export interface DialerNumber {
  field: string;
  raw: string;
  e164: string | null;
  valid: boolean;
  invalidReason?: string;
  zone: string;
  localTime: string;
  callableNow: boolean;
  nextAt?: number;
  nextAtLocal?: string;
  why?: string;
}

export interface DialerEnrollment {
  campaignId: string;
  campaignName: string;
  state: string;
  nextAttemptAt: number | null;
  attempts: number;
}

export interface HistoryEntry {
  attemptId: string;
  at: number;
  outcome: string;
  disposition: string;
  durationSec: number;
  notes?: string;
}

export interface DialerView {
  contact: { id: string; name: string };
  numbers: DialerNumber[];
  enrollments: DialerEnrollment[];
  history: HistoryEntry[];
  activeCall: { attemptId: string; status: CallStatus } | null;
}

export type CallStatus =
  'queued' | 'ringing-rep' | 'ringing' | 'in-progress' | 'completed' | 'failed' | 'blocked';

export interface CallState {
  attemptId: string;
  contactId: string;
  status: CallStatus;
  outcome?: string;
  durationSec?: number;
  blockedReason?: string;
}

export interface Disposition {
  id: string;
  label: string;
}

export interface NoCallDate {
  date: string;
  label?: string;
}

export interface WeekdayWindow {
  enabled: boolean;
  start: string;
  end: string;
}

export interface AccountSettings {
  timeZone: string;
  windows: Record<string, WeekdayWindow>;
  noCallDates: NoCallDate[];
  callerIds: string[];
  campaignTeams: string[];
}

export interface AccountStatus {
  twilio: { connected: boolean; detail?: string };
  hubspot: { connected: boolean; scopes?: string[] };
}
