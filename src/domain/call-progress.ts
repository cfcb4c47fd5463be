/**
 * Folds a call's provider events into one progress record. Webhooks arrive duplicated and out of order, so the
 * fold is a join (commutative, associative, idempotent): every field is a maximum under a fixed total order, and
 * the fold of any permutation or duplication of a call's events is the same record.
 */
import { ANSWERED_BY, CALL_STATUSES, isFinalStatus } from './call.js';
import type { AnsweredBy, CallEvent, CallStatus } from './call.js';
import type { CallResult } from './outcome.js';

export interface CallProgress {
  status: CallStatus | 'none';
  /** Provider sequence number of the status event that set `status` (-1 when it had none or no status yet). */
  sequence: number;
  providerCallId?: string;
  answeredBy?: AnsweredBy;
  digits?: string;
  durationSec?: number;
  errorCode?: number;
  sipResponseCode?: number;
  recordingUrl?: string;
  recordingDurationSec?: number;
  /** Someone or something picked up (in-progress, completed, an AMD result, keypad digits or a recording). */
  answered: boolean;
}

const NO_SEQUENCE = -1;

export function initialProgress(): CallProgress {
  return { status: 'none', sequence: NO_SEQUENCE, answered: false };
}

/**
 * none < queued < initiated < ringing < in-progress < any other final status < completed. A completed call
 * happened (someone talked): no later callback, whatever its sequence number, may turn it into a busy or a
 * failure and queue a retry of a contact who was reached. Other finals are ordered by sequence.
 */
function statusRank(status: CallStatus | 'none'): number {
  switch (status) {
    case 'none':
      return 0;
    case 'queued':
      return 1;
    case 'initiated':
      return 2;
    case 'ringing':
      return 3;
    case 'in-progress':
      return 4;
    case 'completed':
      return 6;
    default:
      return 5;
  }
}

/** Total order on (status, sequence): rank first, then the provider's sequence, then a fixed status order. */
function compareStatus(
  a: { status: CallStatus | 'none'; sequence: number },
  b: { status: CallStatus | 'none'; sequence: number },
): number {
  return (
    statusRank(a.status) - statusRank(b.status) ||
    a.sequence - b.sequence ||
    CALL_STATUSES.indexOf(a.status as CallStatus) - CALL_STATUSES.indexOf(b.status as CallStatus)
  );
}

function maxNumber(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

/** Smallest non-empty string: any deterministic choice works, this one is easy to reason about. */
function minString(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b || undefined;
  if (!b) return a;
  return a <= b ? a : b;
}

/** 'unknown' says least; otherwise the later entry in Twilio's list (end-of-message results beat machine_start). */
function answeredByRank(v: AnsweredBy): number {
  return v === 'unknown' ? -1 : ANSWERED_BY.indexOf(v);
}

function mergeAnsweredBy(a: AnsweredBy | undefined, b: AnsweredBy | undefined): AnsweredBy | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return answeredByRank(b) > answeredByRank(a) ? b : a;
}

/** Longer keypad input wins, then the smaller string. */
function mergeDigits(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b || undefined;
  if (!b) return a;
  if (a.length !== b.length) return a.length > b.length ? a : b;
  return a <= b ? a : b;
}

export function foldCallEvent(p: CallProgress, e: CallEvent): CallProgress {
  const next: CallProgress = { ...p, providerCallId: minString(p.providerCallId, e.providerCallId) };
  switch (e.type) {
    case 'status': {
      const candidate = { status: e.status, sequence: e.sequence ?? NO_SEQUENCE };
      if (compareStatus(candidate, p) > 0) {
        next.status = candidate.status;
        next.sequence = candidate.sequence;
      }
      next.durationSec = maxNumber(p.durationSec, e.durationSec);
      next.errorCode = maxNumber(p.errorCode, e.errorCode);
      next.sipResponseCode = maxNumber(p.sipResponseCode, e.sipResponseCode);
      if (e.status === 'in-progress' || e.status === 'completed') next.answered = true;
      break;
    }
    case 'amd':
      next.answeredBy = mergeAnsweredBy(p.answeredBy, e.answeredBy);
      next.answered = true;
      break;
    case 'gather':
      next.digits = mergeDigits(p.digits, e.digits);
      next.answered = true;
      break;
    case 'recording': {
      // URL and duration travel together: keep the pair of the longest recording (then the smaller URL).
      const current = p.recordingUrl;
      const takeNew =
        current === undefined ||
        e.durationSec > (p.recordingDurationSec ?? -1) ||
        (e.durationSec === p.recordingDurationSec && e.recordingUrl < current);
      if (takeNew) {
        next.recordingUrl = e.recordingUrl;
        next.recordingDurationSec = e.durationSec;
      }
      next.answered = true;
      break;
    }
  }
  return stripUndefined(next);
}

/** Keeps records deep-equal regardless of which fields were touched. */
function stripUndefined(p: CallProgress): CallProgress {
  for (const key of Object.keys(p) as (keyof CallProgress)[]) {
    if (p[key] === undefined) delete p[key];
  }
  return p;
}

export function foldCallEvents(
  events: Iterable<CallEvent>,
  from: CallProgress = initialProgress(),
): CallProgress {
  let p = from;
  for (const e of events) p = foldCallEvent(p, e);
  return p;
}

export function isFinal(p: CallProgress): boolean {
  return p.status !== 'none' && isFinalStatus(p.status);
}

/** The classifier's input for a finished call. Throws when the call has no final status yet. */
export function toCallResult(
  p: CallProgress,
  flow: CallResult['flow'],
  extra: { voicemailDropped?: boolean; priorLikelyInvalid: number },
): CallResult {
  if (p.status === 'none' || !isFinalStatus(p.status)) {
    throw new Error(`call ${p.providerCallId ?? '(unknown)'} is not finished (status ${p.status})`);
  }
  const result: CallResult = { status: p.status, flow, priorLikelyInvalid: extra.priorLikelyInvalid };
  if (p.answeredBy !== undefined) result.answeredBy = p.answeredBy;
  if (p.errorCode !== undefined) result.errorCode = p.errorCode;
  if (p.sipResponseCode !== undefined) result.sipResponseCode = p.sipResponseCode;
  if (p.durationSec !== undefined) result.durationSec = p.durationSec;
  if (p.digits !== undefined) result.digits = p.digits;
  if (extra.voicemailDropped !== undefined) result.voicemailDropped = extra.voicemailDropped;
  return result;
}
