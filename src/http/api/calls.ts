/** Call routes (every user): a call's status for the card's polling, the rep's wrap-up, the dispositions. */
import { Router } from 'express';
import { portalOfAttempt } from '../../engine/dialer.js';
import { callerOf } from './caller.js';
import { callState, progressOf } from './call-state.js';
import type { ApiDeps } from './deps.js';
import { ApiError, notFound, parseBody, route } from './errors.js';
import { AttemptIdSchema, WrapUpBodySchema } from './schemas.js';

/** The caller's portal's attempt, or a 404: attempt ids carry their portal, and the store is keyed by it. */
async function attemptOf(deps: ApiDeps, portalId: string, raw: unknown) {
  const id = AttemptIdSchema.safeParse(raw);
  if (!id.success || portalOfAttempt(id.data) !== portalId) throw notFound('call');
  const attempt = await deps.store.getAttempt(portalId, id.data);
  if (!attempt || attempt.portalId !== portalId) throw notFound('call');
  return attempt;
}

export function callsRouter(deps: ApiDeps): Router {
  const r = Router();

  r.get(
    '/calls/:attemptId',
    route(async (req, res) => {
      const attempt = await attemptOf(deps, callerOf(res).portalId, req.params.attemptId);
      const progress = progressOf(attempt);
      res.json({
        attemptId: attempt.attemptId,
        contactId: attempt.contactId,
        status: callState(attempt),
        ...(progress && progress.status !== 'none' ? { outcome: progress.status } : {}),
        ...(progress?.durationSec !== undefined ? { durationSec: progress.durationSec } : {}),
      });
    }),
  );

  r.post(
    '/calls/:attemptId/wrap-up',
    route(async (req, res) => {
      const { portalId } = callerOf(res);
      const attempt = await attemptOf(deps, portalId, req.params.attemptId);
      const body = parseBody(WrapUpBodySchema, req.body, 'wrap-up');
      const catalog = await deps.dispositions.list(portalId);
      const picked = catalog.find((d) => d.id === body.disposition);
      if (!picked) {
        throw new ApiError(400, 'invalid wrap-up', [
          { path: 'disposition', message: "expected one of the portal's call dispositions" },
        ]);
      }
      await deps.engine.wrapUp(portalId, attempt.attemptId, {
        disposition: picked.disposition,
        ...(body.notes !== undefined ? { notes: body.notes } : {}),
        ...(body.doNotCall !== undefined ? { doNotCall: body.doNotCall } : {}),
        ...(body.wrongNumber !== undefined ? { wrongNumber: body.wrongNumber } : {}),
      });
      res.status(204).end();
    }),
  );

  r.get(
    '/dispositions',
    route(async (_req, res) => {
      const list = await deps.dispositions.list(callerOf(res).portalId);
      res.json({ dispositions: list.map(({ id, label }) => ({ id, label })) });
    }),
  );

  return r;
}
