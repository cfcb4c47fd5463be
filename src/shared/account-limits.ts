/**
 * The telephony account's limits when none are configured: Twilio's defaults for a new account (one call per
 * second, and a conservative cap on concurrent calls). The environment's defaults (ACCOUNT_CPS,
 * ACCOUNT_MAX_CONCURRENT, CALLER_ID_CPS) and the engine's DEFAULT_LIMITS are both these constants, so the two
 * can never disagree. Dialing above the real account rate makes the carrier queue calls, which can push them
 * past their deadline: the safe default is the low one.
 */
export interface RateLimit {
  callsPerSecond: number;
  maxConcurrentCalls: number;
}

export const DEFAULT_ACCOUNT_LIMITS: Readonly<RateLimit> = Object.freeze({
  callsPerSecond: 1,
  maxConcurrentCalls: 100,
});

/** Per caller-ID number: carriers flag numbers that dial faster than about one call a second. */
export const DEFAULT_CALLER_ID_LIMITS: Readonly<RateLimit> = Object.freeze({
  callsPerSecond: 1,
  maxConcurrentCalls: DEFAULT_ACCOUNT_LIMITS.maxConcurrentCalls,
});
