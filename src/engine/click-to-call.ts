/**
 * Click-to-call: a rep's manual call from the dialer card. It runs through the engine like any attempt (DNC,
 * live lock, pacer, outcome written once), on a hidden per-portal campaign that never dials by itself. A manual
 * call may be outside a campaign's window, but never outside the legal hours or to a DNC number.
 */
import { z } from 'zod';
import { IanaZoneSchema, E164Schema } from '../domain/settings.js';
import type { CampaignSettings } from '../domain/settings.js';
import { EngineInputError } from './campaigns.js';

export const ClickToCallSchema = z.object({
  contactId: z.string().trim().min(1, 'contactId is required').max(100),
  phone: z.string().trim().min(1, 'the contact phone number is required').max(100),
  repPhone: z.string().trim().min(1, "the rep's phone number is required").max(100),
  callerId: E164Schema,
  timeZone: IanaZoneSchema.optional(),
});
export type ClickToCallInput = z.input<typeof ClickToCallSchema>;

export type ClickToCallRefusal =
  'DNC' | 'LEGAL_HOURS' | 'DAILY_CAP' | 'LIVE_ATTEMPT' | 'RATE_LIMITED' | 'NO_ZONE' | 'NOT_CALLABLE';

/** The call was refused for a compliance or capacity reason (the input itself was fine). */
export class ClickToCallRefusedError extends EngineInputError {
  constructor(
    readonly reason: ClickToCallRefusal,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ClickToCallRefusedError';
  }
}

const ALL_DAY = { enabled: true, start: '00:00', end: '24:00' };

/**
 * The hidden campaign's settings: open all day every day (so only the legal hours apply), preview mode (the
 * worker never dials it), no AMD (the rep's phone answers first), one attempt per call (never re-queued).
 */
export function manualCampaignSettings(callerId: string, repPhone: string): CampaignSettings {
  return {
    name: 'Click-to-call (manual calls)',
    description: "Reps' manual calls from the dialer card; never dials by itself.",
    connectTo: { type: 'number', number: repPhone },
    callerIds: [callerId],
    callerIdStrategy: 'round-robin',
    pace: { callsPerSecond: 100, maxConcurrentCalls: 1000 },
    dialMode: { mode: 'preview', previewTimeoutSec: 120 },
    amd: { detection: 'off', onMachine: 'connect' },
    gatherConfirmation: false,
    windows: {
      monday: ALL_DAY,
      tuesday: ALL_DAY,
      wednesday: ALL_DAY,
      thursday: ALL_DAY,
      friday: ALL_DAY,
      saturday: ALL_DAY,
      sunday: ALL_DAY,
    },
    noCallDates: [],
    retry: {
      strategy: 'intervals',
      delaysMinutes: [1],
      maxAttempts: 1,
      maxRetryDays: null,
      minGapMinutes: 1,
    },
    ringTimeoutSec: 30,
    record: false,
  };
}
