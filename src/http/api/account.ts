/** Account routes: the defaults every campaign inherits (manager to change), and the connections' status. */
import { Router } from 'express';
import type { RequestHandler } from 'express';
import { callerOf } from './caller.js';
import type { ApiDeps } from './deps.js';
import { parseBody, route } from './errors.js';
import { AccountSettingsBodySchema } from './schemas.js';

export function accountRouter(deps: ApiDeps, manager: RequestHandler) {
  const r = Router();

  r.get(
    '/account/settings',
    route(async (_req, res) => {
      res.json({ settings: await deps.accounts.get(callerOf(res).portalId) });
    }),
  );

  r.put(
    '/account/settings',
    manager,
    route(async (req, res) => {
      const settings = parseBody(AccountSettingsBodySchema, req.body, 'account settings');
      res.json({ settings: await deps.accounts.put(callerOf(res).portalId, settings) });
    }),
  );

  r.get(
    '/account/status',
    route(async (_req, res) => {
      res.json(await deps.accountStatus(callerOf(res).portalId));
    }),
  );

  return r;
}
