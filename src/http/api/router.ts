/**
 * The card and page API, mounted at /api/v1: every request passes HubSpot's v3 signature (401 otherwise) and
 * names its portal and user in the signed URL; writes that manage campaigns or the account need the manager
 * role (403). Errors leave as `{ error, details }`.
 */
import { Router } from 'express';
import { hubspotSigned } from '../hubspot/signature.js';
import { accountRouter } from './account.js';
import { agentsRouter } from './agents.js';
import { callsRouter } from './calls.js';
import { requireCaller } from './caller.js';
import { campaignsRouter } from './campaigns.js';
import { contactsRouter } from './contacts.js';
import type { ApiDeps } from './deps.js';
import { apiErrorHandler } from './errors.js';
import { requireManager } from './roles.js';

export function createApiRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use(
    ...hubspotSigned({
      clientSecret: deps.clientSecret,
      publicBaseUrl: deps.publicBaseUrl,
      versions: ['v3'],
      ...(deps.signatureNow ? { now: deps.signatureNow } : {}),
    }),
    requireCaller,
  );
  const manager = requireManager(deps.roles, deps.accounts);
  router.use(campaignsRouter(deps, manager));
  router.use(contactsRouter(deps, manager));
  router.use(callsRouter(deps));
  router.use(agentsRouter(deps));
  router.use(accountRouter(deps, manager));
  router.use((req, res) => {
    res.status(404).json({ error: `no route ${req.method} ${req.path}`, details: [] });
  });
  router.use(apiErrorHandler(deps.logger));
  return router;
}
