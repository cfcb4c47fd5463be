/** Caller-ID choice and pace feedback used by the engine with the Twilio adapter. */
// The pick is a pure domain rule; re-exported here for code that imported it from the adapter.
export { pickCallerId } from '../../domain/caller-id.js';
export type { CallerIdStrategy } from '../../domain/caller-id.js';

// Pace math is a pure domain rule; re-exported here for code that imported it from the adapter.
export { MIN_CALLS_PER_SECOND, suggestPaceAfterQueueing } from '../../domain/pace.js';
