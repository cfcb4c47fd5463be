export { createApiRouter } from './router.js';
export { createOpenApiRouter, openApiDocument } from './openapi.js';
export type { ApiDeps } from './deps.js';
export * from './ports.js';
export * from './local-adapters.js';
export { HubSpotRoleDirectory, StaticRoleDirectory, hubspotClient } from './roles.js';
export type { RoleDirectory, UserRoles } from './roles.js';
