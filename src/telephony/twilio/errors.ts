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

export interface ClassifiedError {
  error: TelephonyError;
  /** True when repeating the request cannot duplicate its effect (it never reached Twilio, or was refused). */
  safeToRepeat: boolean;
}

export function classifyTwilioError(err: unknown): ClassifiedError {
  if (err instanceof TelephonyError) return { error: err, safeToRepeat: err.retryable };
  if (err instanceof twilio.RestException) {
    const throttled = err.status === 429 || err.code === TWILIO_TOO_MANY_REQUESTS;
    const retryable = throttled || err.status >= 500;
    const message = err.message || `Twilio request failed with HTTP ${err.status}`;
    // A 429 or 5xx means Twilio did not take the request, so repeating it places no second call.
    return { error: new TelephonyError(message, err.code, err.status, retryable), safeToRepeat: retryable };
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (NOT_SENT_CODES.has(code) || MAYBE_SENT_CODES.has(code))) {
    const message = `network error talking to Twilio: ${code}`;
    return {
      error: new TelephonyError(message, undefined, undefined, true),
      safeToRepeat: NOT_SENT_CODES.has(code),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { error: new TelephonyError(message, undefined, undefined, false), safeToRepeat: false };
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

/**
 * Runs `operation`, retrying 429/5xx and connection failures a bounded number of times. With `idempotent`
 * false (creating a call) a failure that may have reached Twilio is never repeated: it surfaces as a retryable
 * TelephonyError for the engine to decide, because a blind repeat could ring the contact twice.
 */
export async function withTwilioRetry<T>(
  operation: () => Promise<T>,
  idempotent: boolean,
  options: RetryOptions = {},
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 3000;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (err) {
      const { error, safeToRepeat } = classifyTwilioError(err);
      const mayRepeat = error.retryable && (idempotent || safeToRepeat);
      if (!mayRepeat || attempt >= maxAttempts) throw error;
      await sleep(backoffDelayMs(attempt, baseDelayMs, maxDelayMs, random));
    }
  }
}
