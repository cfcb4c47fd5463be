/** An attempt as the dialer card's call status shows it (one word a rep understands). */
import type { CallProgress } from '../../domain/call-progress.js';
import type { WrapUp } from '../../domain/outcome.js';
import { MANUAL_CAMPAIGN_ID } from '../../engine/dialer.js';
import type { AttemptRecord } from '../../engine/store/store.js';
import type { CALL_STATES } from './schemas.js';

export type CallState = (typeof CALL_STATES)[number];

export function progressOf(attempt: AttemptRecord): CallProgress | null {
  if (!attempt.progress) return null;
  try {
    return JSON.parse(attempt.progress) as CallProgress;
  } catch {
    return null;
  }
}

export function wrapUpOf(attempt: AttemptRecord): WrapUp | null {
  if (!attempt.wrapUp) return null;
  try {
    return JSON.parse(attempt.wrapUp) as WrapUp;
  } catch {
    return null;
  }
}

/**
 * claimed: queued; placed but the contact's leg not ringing yet: the rep's phone rings first for a manual call;
 * then the contact leg's status; finished: completed when someone answered, else failed.
 */
export function callState(attempt: AttemptRecord): CallState {
  const progress = progressOf(attempt);
  if (attempt.state === 'finished') return progress?.answered ? 'completed' : 'failed';
  if (attempt.state === 'claimed') return 'queued';
  const status = progress?.status ?? 'none';
  if (status === 'in-progress') return 'in-progress';
  if (status === 'ringing') return 'ringing';
  if (status === 'completed') return 'completed';
  if (status === 'busy' || status === 'no-answer' || status === 'failed' || status === 'canceled')
    return 'failed';
  return attempt.campaignId === MANUAL_CAMPAIGN_ID ? 'ringing-rep' : 'queued';
}

/** When the attempt happened, for the history: the dial request, else the claim. */
export function attemptTime(attempt: AttemptRecord): number {
  return attempt.dialRequestedAt ?? attempt.claimedAt;
}
