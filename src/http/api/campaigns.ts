/**
 * Campaign routes: list, create, read, edit, delete (archive), lifecycle actions, scheduling, list enrollment,
 * the compliance preview and the live status. Writes need the manager role (router.ts adds the guard).
 */
import { Router } from 'express';
import type { RequestHandler } from 'express';
import { transition } from '../../domain/lifecycle.js';
import type { CampaignRecord } from '../../engine/store/store.js';
import { MANUAL_CAMPAIGN_ID } from '../../engine/dialer.js';
import { VersionConflictError } from '../../engine/campaigns.js';
import { callerOf } from './caller.js';
import { campaignDetail, campaignSummary, liveStatus } from './campaign-views.js';
import { previewCampaign, previewRows } from './compliance.js';
import type { ApiDeps } from './deps.js';
import { ApiError, notFound, parseBody, route } from './errors.js';
import {
  CampaignActionSchema,
  CampaignCreateSchema,
  CampaignIdSchema,
  CampaignPatchSchema,
  EnrollListSchema,
  JobIdSchema,
  PreviewQuerySchema,
  ScheduleSchema,
} from './schemas.js';

/** The caller's portal's campaign, or a 404 (another portal's campaign does not exist for this caller). */
export async function campaignOf(deps: ApiDeps, portalId: string, rawId: unknown): Promise<CampaignRecord> {
  const id = CampaignIdSchema.safeParse(rawId);
  if (!id.success || id.data === MANUAL_CAMPAIGN_ID) throw notFound('campaign');
  const record = await deps.store.getCampaign(portalId, id.data);
  if (!record) throw notFound('campaign');
  return record;
}

export function campaignsRouter(deps: ApiDeps, manager: RequestHandler): Router {
  const r = Router();

  r.get(
    '/campaigns',
    route(async (_req, res) => {
      const { portalId } = callerOf(res);
      const snapshot = deps.activity?.(portalId);
      const records = (await deps.store.listCampaigns(portalId)).filter(
        (c) => c.campaignId !== MANUAL_CAMPAIGN_ID,
      );
      records.sort((a, b) => b.updatedAt - a.updatedAt);
      res.json({ campaigns: records.map((c) => campaignSummary(c, snapshot?.campaigns[c.campaignId])) });
    }),
  );

  r.post(
    '/campaigns',
    manager,
    route(async (req, res) => {
      const { portalId } = callerOf(res);
      const settings = parseBody(CampaignCreateSchema, req.body, 'campaign settings');
      const record = await deps.campaigns.create(portalId, settings);
      res.status(201).json({ campaign: campaignDetail(record) });
    }),
  );

  r.get(
    '/campaigns/:id',
    route(async (req, res) => {
      const record = await campaignOf(deps, callerOf(res).portalId, req.params.id);
      res.json({ campaign: campaignDetail(record) });
    }),
  );

  r.patch(
    '/campaigns/:id',
    manager,
    route(async (req, res) => {
      const record = await campaignOf(deps, callerOf(res).portalId, req.params.id);
      const body = parseBody(CampaignPatchSchema, req.body, 'campaign change');
      try {
        const saved = await deps.campaigns.updateSettings(
          record.portalId,
          record.campaignId,
          body.settings,
          body.version,
        );
        res.json({ campaign: campaignDetail(saved) });
      } catch (error) {
        if (error instanceof VersionConflictError)
          throw new ApiError(409, error.message, [], { version: error.actual });
        throw error;
      }
    }),
  );

  r.delete(
    '/campaigns/:id',
    manager,
    route(async (req, res) => {
      const record = await campaignOf(deps, callerOf(res).portalId, req.params.id);
      // deleting is archiving (seed 001: a soft delete); deleting twice changes nothing
      if (record.status !== 'archived')
        await deps.campaigns.act(record.portalId, record.campaignId, 'archive');
      res.status(204).end();
    }),
  );

  r.post(
    '/campaigns/:id/actions/:action',
    manager,
    route(async (req, res) => {
      const record = await campaignOf(deps, callerOf(res).portalId, req.params.id);
      const action = CampaignActionSchema.safeParse(req.params.action);
      if (!action.success)
        throw new ApiError(404, `unknown action: expected one of ${CampaignActionSchema.options.join(', ')}`);
      const saved = await deps.campaigns.act(record.portalId, record.campaignId, action.data);
      res.json({ campaign: campaignDetail(saved) });
    }),
  );

  r.post(
    '/campaigns/:id/schedule',
    manager,
    route(async (req, res) => {
      const record = await campaignOf(deps, callerOf(res).portalId, req.params.id);
      const { startAt } = parseBody(ScheduleSchema, req.body, 'schedule');
      const { portalId, campaignId } = record;
      // check the move first, so a refused schedule leaves the settings as they were
      const check = transition(record.status, 'schedule', {
        hasContactSource: await deps.campaigns.hasContactSource(portalId, campaignId),
        startAt,
        now: deps.clock.now(),
      });
      if (!check.ok) throw new ApiError(409, check.error);
      const iso = new Date(startAt).toISOString();
      await deps.campaigns.updateSettings(portalId, campaignId, { ...record.settings, startAt: iso });
      const saved = await deps.campaigns.act(portalId, campaignId, 'schedule');
      res.json({ campaign: campaignDetail(saved) });
    }),
  );

  r.post(
    '/campaigns/:id/enrollments',
    manager,
    route(async (req, res) => {
      const record = await campaignOf(deps, callerOf(res).portalId, req.params.id);
      const body = parseBody(EnrollListSchema, req.body, 'enrollment');
      const job = await deps.lists.start({
        portalId: record.portalId,
        campaignId: record.campaignId,
        listId: body.listId,
        ...(body.phoneFields ? { phoneFields: body.phoneFields } : {}),
      });
      res.status(202).json({ job });
    }),
  );

  r.get(
    '/campaigns/:id/enrollments/:jobId',
    route(async (req, res) => {
      const record = await campaignOf(deps, callerOf(res).portalId, req.params.id);
      const jobId = JobIdSchema.safeParse(req.params.jobId);
      const job = jobId.success ? await deps.lists.get(record.portalId, record.campaignId, jobId.data) : null;
      if (!job) throw notFound('enrollment job');
      res.json({ job });
    }),
  );

  r.get(
    '/campaigns/:id/compliance-preview',
    route(async (req, res) => {
      const record = await campaignOf(deps, callerOf(res).portalId, req.params.id);
      const query = parseBody(PreviewQuerySchema, req.query, 'query');
      const account = await deps.accounts.get(record.portalId);
      const now = deps.clock.now();
      if (query.listId !== undefined) {
        if (!deps.lists.readList)
          throw new ApiError(400, 'previewing a list before enrolling it is not supported');
        const pages = deps.lists.readList(record.portalId, query.listId);
        res.json(await previewRows(deps.store, deps.zones, record, account, pages, now));
        return;
      }
      res.json(await previewCampaign(deps.store, deps.zones, record, account, now));
    }),
  );

  r.get(
    '/campaigns/:id/live',
    route(async (req, res) => {
      const record = await campaignOf(deps, callerOf(res).portalId, req.params.id);
      res.json(await liveStatus(deps.store, record, deps.activity?.(record.portalId), deps.clock.now()));
    }),
  );

  return r;
}
