/**
 * Portal isolation: whatever ids a caller of portal B sends (portal A's real ones or random ones), it never
 * reads or changes portal A's campaigns, contacts or calls: every such request is a 404 and A is unchanged.
 */
import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { MemoryStore } from '../../../src/engine/store/memory-store.js';
import { REP_PHONE, apiHarness, call, campaignBody } from './fixtures.js';
import type { ApiHarness, Who } from './fixtures.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

function probes(campaignId: string, contactId: string, attemptId: string): [Method, string, unknown?][] {
  const c = encodeURIComponent(campaignId);
  const k = encodeURIComponent(contactId);
  const a = encodeURIComponent(attemptId);
  return [
    ['GET', `/campaigns/${c}`],
    ['PATCH', `/campaigns/${c}`, { version: 1, settings: campaignBody('Hijacked') }],
    ['DELETE', `/campaigns/${c}`],
    ['POST', `/campaigns/${c}/actions/pause`],
    ['POST', `/campaigns/${c}/actions/stop`],
    ['POST', `/campaigns/${c}/schedule`, { startAt: Date.UTC(2031, 0, 1) }],
    ['POST', `/campaigns/${c}/enrollments`, { listId: 'l1' }],
    ['GET', `/campaigns/${c}/compliance-preview`],
    ['GET', `/campaigns/${c}/live`],
    ['DELETE', `/campaigns/${c}/contacts/${k}`],
    ['POST', `/campaigns/${c}/contacts/${k}/call-now`],
    ['GET', `/contacts/${k}/dialer`],
    ['POST', `/contacts/${k}/calls`, { number: 'phone' }],
    ['GET', `/calls/${a}`],
    ['POST', `/calls/${a}/wrap-up`, { disposition: 'DO_NOT_CALL', doNotCall: true }],
  ];
}

async function portalWithData(h: ApiHarness, a: Who) {
  h.roles.set(a.portalId, a.userId, { superAdmin: true, teamIds: [] });
  h.contacts.add(a.portalId, { id: 'k1', name: 'Ada', phones: [{ field: 'phone', raw: '+12125550101' }] });
  const campaign = (await call(h.app, 'POST', '/campaigns', a, campaignBody())).body.campaign;
  await h.campaigns.enroll(a.portalId, campaign.id, [{ contactId: 'k1', phone: '+12125550101' }]);
  await h.campaigns.act(a.portalId, campaign.id, 'start');
  await call(h.app, 'PUT', '/agents/me', a, { status: 'available', phone: REP_PHONE });
  const placed = await call(h.app, 'POST', '/contacts/k1/calls', a, { number: 'phone' });
  expect(placed.status).toBe(202);
  return { campaignId: campaign.id as string, contactId: 'k1', attemptId: placed.body.attemptId as string };
}

async function stateOf(
  h: ApiHarness,
  portalId: string,
  ids: { campaignId: string; contactId: string; attemptId: string },
) {
  const campaign = await h.store.getCampaign(portalId, ids.campaignId);
  const lead = await h.store.getLead(portalId, ids.campaignId, ids.contactId);
  const attempt = await h.store.getAttempt(portalId, ids.attemptId);
  return {
    campaign: campaign && {
      status: campaign.status,
      version: campaign.version,
      name: campaign.settings.name,
    },
    lead: lead && { state: lead.progress.state, dueAt: lead.dueAt },
    attempt: attempt && { state: attempt.state, wrapUp: attempt.wrapUp ?? null },
    dnc: await h.store.isDoNotCall(portalId, '+12125550101'),
    dials: h.telephony.dials.length,
  };
}

const portalId = fc.bigInt({ min: 1n, max: 99_999_999_999n }).map(String);
const userId = fc.integer({ min: 1, max: 1_000_000 }).map(String);
const anyId = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/),
  fc.string({ minLength: 1, maxLength: 30 }),
);

describe('portal isolation (property, memory store)', () => {
  it("a caller of portal B never reads or changes portal A's campaigns, contacts or calls", async () => {
    await fc.assert(
      fc.asyncProperty(
        portalId,
        portalId,
        userId,
        userId,
        fc.record({ campaign: anyId, contact: anyId, attempt: anyId }),
        fc.boolean(),
        async (pa, pb, ua, ub, random, useRealIds) => {
          fc.pre(pa !== pb);
          const store = new MemoryStore();
          try {
            const h = apiHarness(store);
            const a: Who = { portalId: pa, userId: ua };
            const b: Who = { portalId: pb, userId: ub };
            // B's user is a super admin of B: a refusal must come from isolation, not from the role check
            h.roles.set(pb, ub, { superAdmin: true, teamIds: [] });
            const ids = await portalWithData(h, a);
            const before = await stateOf(h, pa, ids);
            const target = useRealIds
              ? ids
              : { campaignId: random.campaign, contactId: random.contact, attemptId: random.attempt };
            for (const [method, path, body] of probes(
              target.campaignId,
              target.contactId,
              target.attemptId,
            )) {
              const res = await call(h.app, method, path, b, body);
              // a random id may fail validation (400) but never reaches A's data, and never crashes
              expect(useRealIds ? [404] : [400, 404]).toContain(res.status);
            }
            expect((await call(h.app, 'GET', '/campaigns', b)).body.campaigns).toEqual([]);
            expect(await stateOf(h, pa, ids)).toEqual(before);
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
