/**
 * Contact routes (every user): the dialer view, click-to-call, "call now" in a campaign (seed 003: fires at
 * once, outside the campaign's window but never outside the legal hours or to a DNC number), and removal from
 * a campaign (manager).
 */
import { Router } from 'express';
import type { RequestHandler } from 'express';
import { normalizePhone } from '../../domain/phone.js';
import { FINAL_LEAD_STATES } from '../../engine/events.js';
import { callerOf } from './caller.js';
import { campaignOf } from './campaigns.js';
import type { ApiDeps } from './deps.js';
import { dialerView } from './dialer-view.js';
import { ApiError, notFound, parseBody, route } from './errors.js';
import { ClickToCallBodySchema, ContactIdSchema } from './schemas.js';

function contactIdOf(raw: unknown): string {
  const id = ContactIdSchema.safeParse(raw);
  if (!id.success) throw notFound('contact');
  return id.data;
}

/** Where the rep answers: the number they gave with their presence, else the engine's agent directory. */
async function repPhoneOf(deps: ApiDeps, portalId: string, userId: string): Promise<string> {
  const phone = (await deps.agents.get(portalId, userId))?.phone ?? deps.engine.agentNumber(portalId, userId);
  if (!phone) {
    throw new ApiError(409, 'set the phone number you answer on first (your agent settings)', [
      { path: 'phone', message: 'no phone number for you yet' },
    ]);
  }
  return phone;
}

export function contactsRouter(deps: ApiDeps, manager: RequestHandler): Router {
  const r = Router();

  r.get(
    '/contacts/:contactId/dialer',
    route(async (req, res) => {
      res.json(await dialerView(deps, callerOf(res).portalId, contactIdOf(req.params.contactId)));
    }),
  );

  r.post(
    '/contacts/:contactId/calls',
    route(async (req, res) => {
      const { portalId, userId } = callerOf(res);
      const contactId = contactIdOf(req.params.contactId);
      const { number } = parseBody(ClickToCallBodySchema, req.body, 'call');
      const [contact, account] = await Promise.all([
        deps.contacts.getContact(portalId, contactId),
        deps.accounts.get(portalId),
      ]);
      if (!contact) throw notFound('contact');
      // only the contact's own numbers: the card cannot be used to dial arbitrary numbers
      const byField = contact.phones.find((p) => p.field === number);
      const wanted = normalizePhone(byField?.raw ?? number, account.defaultRegion);
      const own = contact.phones.find((p) => {
        const n = normalizePhone(p.raw, account.defaultRegion);
        return n.ok && wanted.ok && n.phone.e164 === wanted.phone.e164;
      });
      if (!wanted.ok || !own) {
        throw new ApiError(400, 'invalid call', [
          { path: 'number', message: "expected one of the contact's valid numbers or phone fields" },
        ]);
      }
      if (contact.doNotCall) {
        throw new ApiError(409, `${contactId}: the contact is flagged Do-Not-Call`, [], { reason: 'DNC' });
      }
      const callerId = account.callerIds[0];
      if (!callerId) throw new ApiError(409, 'no caller ID is set up: a manager adds one in the settings');
      const call = await deps.engine.clickToCall(portalId, {
        contactId,
        phone: wanted.phone.e164,
        repPhone: await repPhoneOf(deps, portalId, userId),
        callerId,
        ...(contact.timeZone ? { timeZone: contact.timeZone } : {}),
      });
      res.status(202).json({ attemptId: call.attemptId });
    }),
  );

  r.post(
    '/campaigns/:id/contacts/:contactId/call-now',
    route(async (req, res) => {
      const { portalId, userId } = callerOf(res);
      const campaign = await campaignOf(deps, portalId, req.params.id);
      const contactId = contactIdOf(req.params.contactId);
      const lead = await deps.store.getLead(portalId, campaign.campaignId, contactId);
      if (!lead) throw notFound('contact in this campaign');
      if (FINAL_LEAD_STATES.includes(lead.progress.state)) {
        throw new ApiError(
          409,
          `the contact is ${lead.progress.state} in this campaign: there is no call loop to join`,
        );
      }
      const call = await deps.engine.clickToCall(portalId, {
        contactId,
        phone: lead.e164,
        repPhone: await repPhoneOf(deps, portalId, userId),
        callerId: campaign.settings.callerIds[0]!,
        ...(lead.zone ? { timeZone: lead.zone } : {}),
      });
      res.status(202).json({ attemptId: call.attemptId });
    }),
  );

  r.delete(
    '/campaigns/:id/contacts/:contactId',
    manager,
    route(async (req, res) => {
      const { portalId } = callerOf(res);
      const campaign = await campaignOf(deps, portalId, req.params.id);
      const contactId = contactIdOf(req.params.contactId);
      const lead = await deps.store.getLead(portalId, campaign.campaignId, contactId);
      if (!lead) throw notFound('contact in this campaign');
      await deps.campaigns.unenroll(portalId, campaign.campaignId, contactId);
      res.status(204).end();
    }),
  );

  return r;
}
