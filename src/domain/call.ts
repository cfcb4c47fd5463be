/** Call progress vocabulary shared by the domain rules and the telephony adapters (Twilio's names). */

export const CALL_STATUSES = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'no-answer',
  'failed',
  'canceled',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export const FINAL_CALL_STATUSES = ['completed', 'busy', 'no-answer', 'failed', 'canceled'] as const;
export type FinalCallStatus = (typeof FINAL_CALL_STATUSES)[number];

export function isFinalStatus(status: CallStatus): status is FinalCallStatus {
  return (FINAL_CALL_STATUSES as readonly string[]).includes(status);
}

/** Answering-machine detection result, as Twilio names it. */
export const ANSWERED_BY = [
  'human',
  'machine_start',
  'machine_end_beep',
  'machine_end_silence',
  'machine_end_other',
  'fax',
  'unknown',
] as const;
export type AnsweredBy = (typeof ANSWERED_BY)[number];

/** One report about a call's progress, normalized from a Twilio webhook or produced by the simulator. */
export type CallEvent =
  | {
      type: 'status';
      attemptId: string;
      providerCallId: string;
      status: CallStatus;
      /** Provider's per-call sequence number when it sends one (Twilio SequenceNumber); orders callbacks. */
      sequence?: number;
      /** Set on final statuses. */
      durationSec?: number;
      errorCode?: number;
      sipResponseCode?: number;
      /** Provider's time of the event, epoch ms. */
      at: number;
    }
  | { type: 'amd'; attemptId: string; providerCallId: string; answeredBy: AnsweredBy; at: number }
  | { type: 'gather'; attemptId: string; providerCallId: string; digits: string; at: number }
  | {
      type: 'recording';
      attemptId: string;
      providerCallId: string;
      recordingUrl: string;
      durationSec: number;
      at: number;
    };
