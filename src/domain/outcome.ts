/**
 * Outcome classification: every telephony result maps to exactly one next contact state and one CRM
 * disposition. "Reached" means a completed conversation (seed 003).
 *
 * Classification is two table look-ups: the call result picks a category (error-code and SIP tables first,
 * then status/AMD/flow), and the category picks the effect, disposition and label (`OUTCOME_TABLE`). Only
 * the account-error alert and the "likely invalid, second time" escalation depend on the result itself.
 */
import type { AnsweredBy, FinalCallStatus } from './call.js';

/** The call disposition written to the CRM (the HubSpot adapter maps these to HubSpot's disposition ids). */
export type Disposition =
  | 'CONNECTED'
  | 'LEFT_VOICEMAIL'
  | 'LEFT_LIVE_MESSAGE'
  | 'NO_ANSWER'
  | 'BUSY'
  | 'WRONG_NUMBER'
  | 'FAILED'
  | 'CONFIRMED'
  | 'DECLINED'
  | 'CALLBACK_REQUESTED'
  | 'DO_NOT_CALL';

export const DISPOSITIONS: readonly Disposition[] = [
  'CONNECTED',
  'LEFT_VOICEMAIL',
  'LEFT_LIVE_MESSAGE',
  'NO_ANSWER',
  'BUSY',
  'WRONG_NUMBER',
  'FAILED',
  'CONFIRMED',
  'DECLINED',
  'CALLBACK_REQUESTED',
  'DO_NOT_CALL',
];

/** What happens when the called person answers (mirrors `CallFlow['kind']` of the telephony port). */
export type CallResultFlow = 'connect' | 'reminder' | 'message' | 'click-to-call' | 'safe-harbor';

/** Everything the classifier needs from a finished call. */
export interface CallResult {
  status: FinalCallStatus;
  /** AMD result; absent when detection was off or never reported. */
  answeredBy?: AnsweredBy;
  /** Provider error code, e.g. Twilio 21211. */
  errorCode?: number;
  sipResponseCode?: number;
  durationSec?: number;
  flow: CallResultFlow;
  /** Keypad answer in the reminder flow. */
  digits?: string;
  /** A voicemail message was left. */
  voicemailDropped?: boolean;
  /** How many earlier attempts to this number ended with Twilio 13224. */
  priorLikelyInvalid: number;
}

export const OUTCOME_CATEGORIES = [
  'CONVERSATION', // a person answered and was connected (connect / click-to-call)
  'LIVE_MESSAGE', // a person answered and heard the recorded message (message flow)
  'CONFIRMED', // reminder: pressed 1
  'CALLBACK_REQUESTED', // reminder: pressed 2 (asked for a person or a new time); or a rep's wrap-up without a time
  'DECLINED', // reminder: pressed 3; or a rep's wrap-up "declined"
  'UNRECOGNIZED_INPUT', // reminder: a person pressed a key that means nothing
  'NO_INPUT', // reminder: answered, but no keypad answer
  'ABANDONED', // predictive overflow: a person answered, nobody was free, the safe-harbor message played
  'SHORT_CALL', // completed in under SHORT_CALL_MAX_SEC with no AMD verdict: hung up on pickup
  'VOICEMAIL', // an answering machine answered (a message may have been left)
  'FAX', // a fax machine answered
  'BUSY',
  'NO_ANSWER',
  'REJECTED', // SIP 603/607/608: declined by the callee or blocked as unwanted on the way
  'CANCELED', // we canceled the call before it was answered
  'CARRIER_ERROR', // any other failure: network / carrier trouble, worth another try
  'INVALID_NUMBER', // the number does not exist or cannot take calls
  'LIKELY_INVALID', // Twilio 13224 for the first time: one more try to be sure
  'LIKELY_INVALID_REPEATED', // Twilio 13224 again: treated as invalid
  'ACCOUNT_ERROR', // our account / configuration is wrong: not the contact's fault
  'DO_NOT_CALL', // wrap-up: the person asked not to be called
  'WRONG_NUMBER', // wrap-up: the number is not this contact's
  'CALLBACK', // wrap-up: "call me later" at a given time
] as const;
export type OutcomeCategory = (typeof OUTCOME_CATEGORIES)[number];

export type PermanentFailureReason = 'INVALID_NUMBER' | 'WRONG_NUMBER' | 'LIKELY_INVALID' | 'FAX';

export type OutcomeEffect =
  | { kind: 'reached' }
  /** `technicalError` counts toward the "two consecutive technical errors stop" condition. */
  | { kind: 'retry'; technicalError: boolean }
  | { kind: 'permanent-failure'; reason: PermanentFailureReason }
  | { kind: 'dnc' }
  | { kind: 'callback'; at: number }
  /** Account/configuration error: not the contact's fault, the attempt is not counted, the campaign pauses. */
  | { kind: 'pause-campaign'; alert: string; code: number };

export interface Classification {
  category: OutcomeCategory;
  effect: OutcomeEffect;
  disposition: Disposition;
  /** Human-readable outcome for the live monitor and the CRM call notes. */
  label: string;
}

/** Completed calls shorter than this, with no AMD verdict, are hang-ups on pickup rather than conversations. */
export const SHORT_CALL_MAX_SEC = 3;

interface OutcomeRow {
  /** Null where the effect depends on the result (account error alert, wrap-up callback time). */
  effect: OutcomeEffect | null;
  disposition: Disposition;
  label: string;
}

const retry = (technicalError: boolean): OutcomeEffect => ({ kind: 'retry', technicalError });
const fail = (reason: PermanentFailureReason): OutcomeEffect => ({ kind: 'permanent-failure', reason });

/** Category → effect, disposition and label. The README's outcome table is generated from this. */
export const OUTCOME_TABLE: Readonly<Record<OutcomeCategory, OutcomeRow>> = {
  CONVERSATION: { effect: { kind: 'reached' }, disposition: 'CONNECTED', label: 'Connected' },
  LIVE_MESSAGE: {
    effect: { kind: 'reached' },
    disposition: 'LEFT_LIVE_MESSAGE',
    label: 'Message played to a person',
  },
  CONFIRMED: { effect: { kind: 'reached' }, disposition: 'CONFIRMED', label: 'Confirmed (pressed 1)' },
  CALLBACK_REQUESTED: {
    effect: { kind: 'reached' },
    disposition: 'CALLBACK_REQUESTED',
    label: 'Asked for a person or a new time',
  },
  DECLINED: { effect: { kind: 'reached' }, disposition: 'DECLINED', label: 'Declined' },
  UNRECOGNIZED_INPUT: {
    effect: { kind: 'reached' },
    disposition: 'LEFT_LIVE_MESSAGE',
    label: 'Message heard, unrecognized key pressed',
  },
  NO_INPUT: { effect: retry(false), disposition: 'LEFT_LIVE_MESSAGE', label: 'Answered, no keypad answer' },
  ABANDONED: {
    effect: retry(false),
    disposition: 'LEFT_LIVE_MESSAGE',
    label: 'Answered, no agent free (safe-harbor message)',
  },
  SHORT_CALL: { effect: retry(false), disposition: 'NO_ANSWER', label: 'Hung up on pickup' },
  VOICEMAIL: { effect: retry(false), disposition: 'NO_ANSWER', label: 'Answering machine' },
  FAX: { effect: fail('FAX'), disposition: 'WRONG_NUMBER', label: 'Fax machine' },
  BUSY: { effect: retry(false), disposition: 'BUSY', label: 'Busy' },
  NO_ANSWER: { effect: retry(false), disposition: 'NO_ANSWER', label: 'No answer' },
  REJECTED: { effect: retry(false), disposition: 'NO_ANSWER', label: 'Rejected' },
  CANCELED: { effect: retry(false), disposition: 'NO_ANSWER', label: 'Canceled before answer' },
  CARRIER_ERROR: { effect: retry(true), disposition: 'FAILED', label: 'Carrier error' },
  INVALID_NUMBER: { effect: fail('INVALID_NUMBER'), disposition: 'FAILED', label: 'Invalid number' },
  LIKELY_INVALID: { effect: retry(true), disposition: 'FAILED', label: 'Number likely invalid' },
  LIKELY_INVALID_REPEATED: {
    effect: fail('LIKELY_INVALID'),
    disposition: 'FAILED',
    label: 'Number invalid (failed twice)',
  },
  ACCOUNT_ERROR: { effect: null, disposition: 'FAILED', label: 'Account or configuration error' },
  DO_NOT_CALL: { effect: { kind: 'dnc' }, disposition: 'DO_NOT_CALL', label: 'Do not call' },
  WRONG_NUMBER: { effect: fail('WRONG_NUMBER'), disposition: 'WRONG_NUMBER', label: 'Wrong number' },
  CALLBACK: { effect: null, disposition: 'CALLBACK_REQUESTED', label: 'Call back later' },
};

/** Provider error codes that decide the category on their own, with the alert shown for account errors. */
export const ERROR_CODE_TABLE: Readonly<
  Record<number, { category: 'INVALID_NUMBER' | 'ACCOUNT_ERROR' | 'LIKELY_INVALID'; meaning: string }>
> = {
  // The number itself is wrong: never worth another try.
  13223: { category: 'INVALID_NUMBER', meaning: 'Dial: invalid phone number format' },
  21211: { category: 'INVALID_NUMBER', meaning: "invalid 'To' phone number" },
  21214: { category: 'INVALID_NUMBER', meaning: "'To' phone number cannot be reached" },
  21217: { category: 'INVALID_NUMBER', meaning: 'phone number does not appear to be valid' },
  21401: { category: 'INVALID_NUMBER', meaning: 'invalid phone number' },
  21407: { category: 'INVALID_NUMBER', meaning: 'this phone number type does not support voice' },
  21614: { category: 'INVALID_NUMBER', meaning: "'To' number is not a valid mobile number" },
  // Twilio reports 13224 for numbers it believes invalid, but it is sometimes transient: one more try.
  13224: { category: 'LIKELY_INVALID', meaning: 'Dial: invalid phone number' },
  // Our account or configuration is wrong: every call would fail the same way, so the campaign pauses.
  10001: { category: 'ACCOUNT_ERROR', meaning: 'the Twilio account is not active' },
  20003: {
    category: 'ACCOUNT_ERROR',
    meaning: 'Twilio authentication failed: check the account SID and token',
  },
  20005: { category: 'ACCOUNT_ERROR', meaning: 'the Twilio account is not active' },
  20404: {
    category: 'ACCOUNT_ERROR',
    meaning: 'a Twilio resource (account, application, number) was not found',
  },
  21205: { category: 'ACCOUNT_ERROR', meaning: 'the call-flow URL is invalid: check PUBLIC_BASE_URL' },
  21210: { category: 'ACCOUNT_ERROR', meaning: 'the caller ID is not a verified or owned number' },
  21212: { category: 'ACCOUNT_ERROR', meaning: 'the caller ID is invalid' },
  21215: {
    category: 'ACCOUNT_ERROR',
    meaning: "the account's geo permissions do not allow this destination",
  },
  21219: { category: 'ACCOUNT_ERROR', meaning: 'a trial account can only call verified numbers' },
  21606: {
    category: 'ACCOUNT_ERROR',
    meaning: 'the caller ID is not a valid, capable number of this account',
  },
  13227: {
    category: 'ACCOUNT_ERROR',
    meaning: "the account's geo permissions do not allow this destination",
  },
};

/** SIP response codes that decide the category when no error code did. */
export const SIP_CODE_TABLE: Readonly<Record<number, OutcomeCategory>> = {
  404: 'INVALID_NUMBER', // not found
  484: 'INVALID_NUMBER', // address incomplete
  486: 'BUSY', // busy here
  600: 'BUSY', // busy everywhere
  480: 'NO_ANSWER', // temporarily unavailable (phone off, out of coverage)
  408: 'NO_ANSWER', // request timeout
  603: 'REJECTED', // decline
  607: 'REJECTED', // unwanted
  608: 'REJECTED', // rejected by an intermediary (call analytics)
};

/** Reminder keypad answers (the reminder prompt says: 1 to confirm, 2 for a person or a new time, 3 to decline). */
export const REMINDER_DIGITS: Readonly<Record<string, OutcomeCategory>> = {
  '1': 'CONFIRMED',
  '2': 'CALLBACK_REQUESTED',
  '3': 'DECLINED',
};

const isMachine = (a: AnsweredBy | undefined): boolean => a !== undefined && a.startsWith('machine_');

function categorize(r: CallResult): OutcomeCategory {
  // Error codes decide only failed calls: a completed call can carry a warning code that changes nothing.
  const byCode =
    r.status !== 'failed' || r.errorCode === undefined ? undefined : ERROR_CODE_TABLE[r.errorCode];
  if (byCode) {
    if (byCode.category === 'LIKELY_INVALID' && r.priorLikelyInvalid >= 1) return 'LIKELY_INVALID_REPEATED';
    return byCode.category;
  }
  switch (r.status) {
    case 'busy':
      return 'BUSY';
    case 'no-answer':
      return 'NO_ANSWER';
    case 'canceled':
      return 'CANCELED';
    case 'failed':
      return (
        (r.sipResponseCode === undefined ? undefined : SIP_CODE_TABLE[r.sipResponseCode]) ?? 'CARRIER_ERROR'
      );
    case 'completed':
      return categorizeCompleted(r);
  }
}

function categorizeCompleted(r: CallResult): OutcomeCategory {
  if (r.answeredBy === 'fax') return 'FAX';
  if (isMachine(r.answeredBy)) return 'VOICEMAIL';
  // 'unknown' means AMD could not decide; the call was still answered, so it is treated like no AMD at all.
  const noVerdict = r.answeredBy === undefined || r.answeredBy === 'unknown';
  if (r.flow === 'reminder') {
    if (r.digits === undefined || r.digits === '') return 'NO_INPUT';
    return REMINDER_DIGITS[r.digits.charAt(0)] ?? 'UNRECOGNIZED_INPUT';
  }
  if (r.flow === 'safe-harbor') return 'ABANDONED';
  if (noVerdict && r.durationSec !== undefined && r.durationSec < SHORT_CALL_MAX_SEC) return 'SHORT_CALL';
  return r.flow === 'message' ? 'LIVE_MESSAGE' : 'CONVERSATION';
}

/** Maps any finished call to exactly one category, effect and disposition. Total: never throws. */
export function classifyOutcome(result: CallResult): Classification {
  const category = categorize(result);
  const row = OUTCOME_TABLE[category];
  if (category === 'ACCOUNT_ERROR') {
    const code = result.errorCode as number;
    const meaning = ERROR_CODE_TABLE[code]?.meaning ?? 'account error';
    return {
      category,
      effect: { kind: 'pause-campaign', alert: `Calls fail: ${meaning} (Twilio ${code})`, code },
      disposition: row.disposition,
      label: row.label,
    };
  }
  if (category === 'VOICEMAIL' && result.voicemailDropped) {
    return { category, effect: retry(false), disposition: 'LEFT_VOICEMAIL', label: 'Voicemail left' };
  }
  return { category, effect: row.effect ?? retry(true), disposition: row.disposition, label: row.label };
}

/** A rep's wrap-up after a call. */
export interface WrapUp {
  disposition?: Disposition;
  notes?: string;
  doNotCall?: boolean;
  wrongNumber?: boolean;
  /** "Call me later": epoch ms the person asked for. */
  callbackAt?: number;
}

/** The category a rep's picked disposition stands for (DNC and wrong number are handled before). */
export const WRAP_UP_CATEGORY: Readonly<
  Record<Exclude<Disposition, 'DO_NOT_CALL' | 'WRONG_NUMBER'>, OutcomeCategory>
> = {
  CONNECTED: 'CONVERSATION',
  LEFT_LIVE_MESSAGE: 'LIVE_MESSAGE',
  CONFIRMED: 'CONFIRMED',
  DECLINED: 'DECLINED',
  CALLBACK_REQUESTED: 'CALLBACK_REQUESTED',
  NO_ANSWER: 'NO_ANSWER',
  BUSY: 'BUSY',
  LEFT_VOICEMAIL: 'VOICEMAIL',
  FAILED: 'CARRIER_ERROR',
};

function fromTable(category: OutcomeCategory, disposition?: Disposition): Classification {
  const row = OUTCOME_TABLE[category];
  return {
    category,
    effect: row.effect ?? retry(false),
    disposition: disposition ?? row.disposition,
    label: row.label,
  };
}

/**
 * A rep's wrap-up overrides the automatic classification, in this order: do-not-call, wrong number, an
 * account error (the rep cannot fix the account, so the campaign still pauses), "call me later" at a time,
 * then a picked disposition. A picked "not reached" disposition (no answer, busy, voicemail, failed) after a
 * call that was not reached only renames the disposition: a technical error or a permanent failure found by
 * the carrier stays as it was. Notes do not change the classification (they travel with the attempt event).
 */
export function applyWrapUp(base: Classification, wrapUp: WrapUp): Classification {
  if (wrapUp.doNotCall || wrapUp.disposition === 'DO_NOT_CALL') return fromTable('DO_NOT_CALL');
  if (wrapUp.wrongNumber || wrapUp.disposition === 'WRONG_NUMBER') return fromTable('WRONG_NUMBER');
  if (base.effect.kind === 'pause-campaign') return base;
  if (wrapUp.callbackAt !== undefined && Number.isFinite(wrapUp.callbackAt)) {
    return { ...fromTable('CALLBACK'), effect: { kind: 'callback', at: wrapUp.callbackAt } };
  }
  const picked = wrapUp.disposition;
  if (picked === undefined || picked === base.disposition) return base;
  const picks = fromTable(WRAP_UP_CATEGORY[picked], picked);
  if (picks.effect.kind !== 'reached' && base.effect.kind !== 'reached')
    return { ...base, disposition: picked };
  return picks;
}
