/** The dialing engine's public surface. */
export { Engine } from './dialer.js';
export { DEFAULT_LIMITS, DEFAULT_TIMINGS } from './context.js';
export type { EngineLimits, EngineOptions, EngineTimings } from './context.js';
export { MANUAL_CAMPAIGN_ID, callFlowFor, dialRequestFor } from './call-flow.js';
export type { AgentDirectory } from './call-flow.js';
export { newAttemptId, portalOfAttempt } from './attempt-ids.js';
export type { TelephonyWarning } from './pace-control.js';
export { CampaignService, EngineInputError, EnrollRowSchema } from './campaigns.js';
export type { EnrollReport, EnrollRowInput, ZoneLookup } from './campaigns.js';
export { ClickToCallRefusedError, ClickToCallSchema } from './click-to-call.js';
export type { ClickToCallInput, ClickToCallRefusal } from './click-to-call.js';
export { capacityPolicyFor } from './modes.js';
export type { CapacityInput, CapacityPolicy, CapacityPolicies } from './modes.js';
export { MemoryStore } from './store/memory-store.js';
export { RedisStore } from './store/redis-store.js';
export type { RedisStoreOptions } from './store/redis-store.js';
export type * from './store/store.js';
export type { LeadProgress } from './store/codec.js';
