/** Campaign answers as the API returns them, for the page tests. */
import type { Campaign, CampaignStatus, CampaignSummary, LiveStatus } from '../../hubspot/app/lib/types';

export const summary = (over: Partial<CampaignSummary> = {}): CampaignSummary => ({
  id: 'c1',
  name: 'Spring renewals',
  status: 'active',
  mode: 'progressive',
  answered: 1240,
  notAnswered: 60,
  total: 1300,
  updatedAt: Date.UTC(2026, 11, 4, 9, 30),
  ...over,
});

/** What the backend's lifecycle allows per status (src/domain/lifecycle.ts), as `allowedActions`. */
export const ALLOWED: Record<CampaignStatus, string[]> = {
  draft: ['schedule', 'start', 'edit', 'archive'],
  scheduled: ['schedule', 'start', 'cancel', 'edit', 'archive'],
  active: ['pause', 'stop', 'cancel'],
  paused: ['resume', 'stop', 'cancel', 'edit', 'archive'],
  overdue: ['start', 'schedule', 'cancel', 'edit', 'archive'],
  completed: ['restart', 'edit', 'archive'],
  canceled: ['restart', 'edit', 'archive'],
  archived: [],
};

export const campaign = (over: Partial<Campaign> = {}): Campaign => {
  const status = over.status ?? 'draft';
  return {
    id: 'c1',
    name: 'Spring renewals',
    status,
    version: 3,
    createdAt: Date.UTC(2026, 11, 1, 8, 0),
    updatedAt: Date.UTC(2026, 11, 4, 9, 30),
    allowedActions: ALLOWED[status],
    settings: {
      name: 'Spring renewals',
      description: 'Renewal reminders',
      connectTo: { type: 'number', number: '+12125550100' },
      callerIds: ['+12125550111', '+13055550122'],
      callerIdStrategy: 'local-presence',
      pace: { callsPerSecond: 2, maxConcurrentCalls: 20 },
      dialMode: { mode: 'power', linesPerAgent: 3 },
      amd: { detection: 'detect', onMachine: 'hangup' },
      gatherConfirmation: false,
      retry: {
        strategy: 'smart',
        intensity: 'aggressive',
        maxAttempts: 10,
        maxRetryDays: 5,
        minGapMinutes: 60,
      },
      ringTimeoutSec: 30,
      record: false,
    },
    ...over,
  };
};

export const liveStatus = (over: Partial<LiveStatus> = {}): LiveStatus => ({
  status: 'active',
  counts: { queued: 900, dialing: 4, live: 2, reached: 300, retrying: 80, failed: 10, skipped: 4 },
  activeCalls: [
    {
      attemptId: 'a1',
      contactId: '7',
      toMasked: '+1212•••0101',
      state: 'ringing',
      since: Date.UTC(2026, 11, 4, 9, 31),
    },
  ],
  answerRate: 0.423,
  abandonRate: 0.012,
  pace: { configuredCps: 2, measuredCps: 1.87 },
  etaMinutes: 80,
  ...over,
});
