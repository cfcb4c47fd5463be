/** Agent presence (every user, about themselves only): available for which campaigns, and where they answer. */
import { Router } from 'express';
import { callerOf } from './caller.js';
import { campaignOf } from './campaigns.js';
import type { ApiDeps } from './deps.js';
import { parseBody, route } from './errors.js';
import { AgentPresenceBodySchema } from './schemas.js';

export function agentsRouter(deps: ApiDeps) {
  const r = Router();

  r.get(
    '/agents/me',
    route(async (_req, res) => {
      const { portalId, userId } = callerOf(res);
      const agent = (await deps.agents.get(portalId, userId)) ?? {
        userId,
        status: 'offline',
        campaignIds: [],
      };
      res.json({ agent });
    }),
  );

  r.put(
    '/agents/me',
    route(async (req, res) => {
      const { portalId, userId } = callerOf(res);
      const body = parseBody(AgentPresenceBodySchema, req.body, 'agent status');
      const before = await deps.agents.get(portalId, userId);
      const campaignIds = [...new Set(body.campaignIds ?? before?.campaignIds ?? [])];
      // every named campaign must be this portal's (404 otherwise)
      await Promise.all(campaignIds.map((id) => campaignOf(deps, portalId, id)));
      const phone = body.phone ?? before?.phone;
      const available = body.status === 'available';
      const left = (before?.campaignIds ?? []).filter((id) => !campaignIds.includes(id));
      await Promise.all([
        ...left.map((id) => deps.engine.setAgentAvailable(portalId, id, userId, false)),
        ...campaignIds.map((id) => deps.engine.setAgentAvailable(portalId, id, userId, available, phone)),
      ]);
      const agent = { userId, status: body.status, campaignIds, ...(phone ? { phone } : {}) };
      await deps.agents.put(portalId, agent);
      res.json({ agent });
    }),
  );

  return r;
}
