/** Twilio failures as TelephonyErrors, and a bounded retry with exponential backoff and full jitter. */
import twilio from 'twilio';
import { TelephonyError } from '../telephony.js';

/** Twilio's "Too Many Requests" error code (HTTP 429). */
export const TWILIO_TOO_MANY_REQUESTS = 20429;
/** "Call is not in-progress. Cannot redirect." — the call ended before our update reached it. */
export const TWILIO_CALL_NOT_IN_PROGRESS = 21220;

/** Connection failures where the request cannot have reached Twilio, so even a call creation is safe to repeat. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);
/** Failures where the request may have been processed; retryable later, but not blindly for non-idempotent calls. */
const MAYBE_SENT_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'ECONNABORTED', 'EPIPE', 'ESOCKETTIMEDOUT']);
/**
 * Gateway errors: a proxy in front of Twilio's API gave up, but the API behind it may have placed the call.
 * Other 5xx (500, 503) come from the API itself refusing the request.
 */
const MAYBE_SENT_HTTP = new Set([502, 504]);

export interface ClassifiedError {
  error: TelephonyError;
  /** True when repeating the request cannot duplicate its effect (it never reached Twilio, or was refused). */
  safeToRepeat: boolean;
}

export function classifyTwilioError(err: unknown): ClassifiedError {
  if (err instanceof TelephonyError) {
    return { error: err, safeToRepeat: err.retryable && !err.maybeSent };
  }
  if (err instanceof twilio.RestException) {
    const throttled = err.status === 429 || err.code === TWILIO_TOO_MANY_REQUESTS;
    const retryable = throttled || err.status >= 500;
    const maybeSent = MAYBE_SENT_HTTP.has(err.status);
    const message = err.message || `Twilio request failed with HTTP ${err.status}`;
    // A 4xx, a 429 or a 500/503 means Twilio did not take the request, so repeating it places no second call.
    return {
      error: new TelephonyError(message, err.code, err.status, retryable, { maybeSent }),
      safeToRepeat: retryable && !maybeSent,
    };
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (NOT_SENT_CODES.has(code) || MAYBE_SENT_CODES.has(code))) {
    const maybeSent = MAYBE_SENT_CODES.has(code);
    const message = `network error talking to Twilio: ${code}`;
    return {
      error: new TelephonyError(message, undefined, undefined, true, { maybeSent }),
      safeToRepeat: !maybeSent,
    };
  }
  // Unknown failure: we cannot tell whether Twilio saw the request, so assume it may have.
  const message = err instanceof Error ? err.message : String(err);
  return {
    error: new TelephonyError(message, undefined, undefined, false, { maybeSent: true }),
    safeToRepeat: false,
  };
}

export interface RetryOptions {
  /** Total tries including the first (default 4). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Injected so tests do not wait; defaults to a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** In [0,1); injected for deterministic jitter. */
  random?: () => number;
}

export interface Deadline {
  /** Epoch ms after which no try may start. */
  notAfter: number;
  now: () => number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Delay before retry number `retry` (1-based): full jitter over an exponentially growing, capped window. */
export function backoffDelayMs(
  retry: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number,
): number {
  const window = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
  return Math.floor(window * random());
}

/** The deadline passed before any try could have reached Twilio: the call was certainly not placed. */
export function deadlineError(deadline: Deadline, lastError?: TelephonyError): TelephonyError {
  const cause = lastError ? ` (last error: ${lastError.message})` : '';
  return new TelephonyError(
    `not sent: the dial deadline ${new Date(deadline.notAfter).toISOString()} passed before Twilio accepted the call${cause}`,
    lastError?.code,
    lastError?.httpStatus,
    true,
    { maybeSent: false, notDialed: true },
  );
}

/** At the deadline: "not dialed" only if no try so far may have reached Twilio. */
function giveUp(deadline: Deadline, lastError: TelephonyError | undefined): TelephonyError {
  return lastError?.maybeSent ? lastError : deadlineError(deadline, lastError);
}

/**
 * THE retry layer for Twilio REST calls (the SDK's own autoRetry stays off, see createTwilioClient): runs
 * `operation`, retrying 429/5xx and connection failures a bounded number of times. With `idempotent` false
 * (creating a call) a failure that may have reached Twilio is never repeated: it surfaces as a retryable
 * TelephonyError with `maybeSent` for the engine to decide, because a blind repeat could ring the contact twice.
 * With a `deadline`, no try starts after `deadline.notAfter`, and a wait that would end past it is not taken:
 * when every try so far was certainly not sent, the result is the deadline error (`notDialed`).
 */
export async function withTwilioRetry<T>(
  operation: () => Promise<T>,
  idempotent: boolean,
  options: RetryOptions = {},
  deadline?: Deadline,
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 3000;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  let lastError: TelephonyError | undefined;
  for (let attempt = 1; ; attempt++) {
    // Only reached when no earlier try may have been sent, so giving up here means "never dialed".
    if (deadline && deadline.now() > deadline.notAfter) throw giveUp(deadline, lastError);
    try {
      return await operation();
    } catch (err) {
      const { error, safeToRepeat } = classifyTwilioError(err);
      const mayRepeat = error.retryable && (idempotent || safeToRepeat);
      if (!mayRepeat || attempt >= maxAttempts) throw error;
      lastError = error;
      const delay = backoffDelayMs(attempt, baseDelayMs, maxDelayMs, random);
      if (deadline && deadline.now() + delay > deadline.notAfter) throw giveUp(deadline, error);
      await sleep(delay);
    }
  }
}
