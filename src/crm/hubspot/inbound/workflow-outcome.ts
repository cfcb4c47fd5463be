/**
 * The output fields a workflow branches on, from the engine's final word on a reminder call (pure).
 * Keypad answers follow the reminder prompt: 1 confirms, 2 asks for a person or a new time, 3 declines.
 */
import type { OutcomeCategory } from '../../../domain/outcome.js';
import type { SkipReason } from '../../../engine/events.js';

export const WORKFLOW_OUTCOMES = [
  'confirmed',
  'declined',
  'callback_requested',
  'answered',
  'voicemail',
  'no_answer',
  'busy',
  'failed',
  'do_not_call',
  'invalid_number',
] as const;
export type WorkflowOutcome = (typeof WORKFLOW_OUTCOMES)[number];

export interface WorkflowOutputFields {
  hs_execution_state: 'SUCCESS';
  outcome: WorkflowOutcome;
  confirmed: boolean;
  keyPressed: string;
  attempts: number;
}

const BY_CATEGORY: Partial<Record<OutcomeCategory, { outcome: WorkflowOutcome; key?: string }>> = {
  CONFIRMED: { outcome: 'confirmed', key: '1' },
  CALLBACK_REQUESTED: { outcome: 'callback_requested', key: '2' },
  DECLINED: { outcome: 'declined', key: '3' },
  CONVERSATION: { outcome: 'answered' },
  LIVE_MESSAGE: { outcome: 'answered' },
  UNRECOGNIZED_INPUT: { outcome: 'answered' },
  NO_INPUT: { outcome: 'answered' },
  SHORT_CALL: { outcome: 'answered' },
  ABANDONED: { outcome: 'answered' },
  VOICEMAIL: { outcome: 'voicemail' },
  NO_ANSWER: { outcome: 'no_answer' },
  BUSY: { outcome: 'busy' },
  INVALID_NUMBER: { outcome: 'invalid_number' },
  LIKELY_INVALID: { outcome: 'invalid_number' },
  LIKELY_INVALID_REPEATED: { outcome: 'invalid_number' },
  FAX: { outcome: 'invalid_number' },
  WRONG_NUMBER: { outcome: 'invalid_number' },
  DO_NOT_CALL: { outcome: 'do_not_call' },
};

export function outputForCall(category: OutcomeCategory | undefined, attempts: number): WorkflowOutputFields {
  const row = (category && BY_CATEGORY[category]) ?? { outcome: 'failed' as const };
  return {
    hs_execution_state: 'SUCCESS',
    outcome: row.outcome,
    confirmed: row.outcome === 'confirmed',
    keyPressed: row.key ?? '',
    attempts,
  };
}

/** The call never happened (or stopped) for this reason. */
export function outputForSkip(
  reason: SkipReason | 'UNENROLLED' | 'DELETED',
  attempts: number,
): WorkflowOutputFields {
  const outcome: WorkflowOutcome =
    reason === 'DNC'
      ? 'do_not_call'
      : reason === 'INVALID_NUMBER' || reason === 'MISSING_NUMBER'
        ? 'invalid_number'
        : 'failed';
  return { hs_execution_state: 'SUCCESS', outcome, confirmed: false, keyPressed: '', attempts };
}
