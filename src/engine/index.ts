/** The dialing engine's public surface. */
export {
  Engine,
  DEFAULT_LIMITS,
  DEFAULT_TIMINGS,
  callFlowFor,
  dialRequestFor,
  newAttemptId,
  portalOfAttempt,
} from './dialer.js';
export type { EngineLimits, EngineOptions, EngineTimings } from './dialer.js';
export { CampaignService, EngineInputError, EnrollRowSchema } from './campaigns.js';
export type { EnrollReport, EnrollRowInput, ZoneLookup } from './campaigns.js';
export { capacityPolicyFor } from './modes.js';
export type { CapacityInput, CapacityPolicy, CapacityPolicies } from './modes.js';
export { MemoryStore } from './store/memory-store.js';
export { RedisStore } from './store/redis-store.js';
export type { RedisStoreOptions } from './store/redis-store.js';
export type * from './store/store.js';
export type { LeadProgress } from './store/codec.js';
