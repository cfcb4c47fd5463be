/** The whole domain: pure rules with no I/O, importable by the engine, the adapters and the HubSpot cards. */
export * from './settings.js';
export * from './call.js';
export * from './call-progress.js';
export * from './phone.js';
export * from './nanp.js';
export * from './legal.js';
export * from './windows.js';
export * from './outcome.js';
export * from './retry.js';
export * from './lifecycle.js';
export * from './policy.js';
export * from './random.js';
export * from './pace.js';
export * from './caller-id.js';
export * from './dnc.js';
export * from './dnc-registry.js';
