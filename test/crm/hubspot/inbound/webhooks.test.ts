/**
 * HubSpot webhooks against real Redis and the real engine: DNC mid-campaign stops the next dial, batches
 * duplicated and shuffled end in the same state as in order, a privacy deletion leaves nothing of the contact.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { seededRandom } from '../../../../src/domain/random.js';
import type { CallEvent } from '../../../../src/domain/call.js';
import { messageCampaign } from '../../../engine/fixtures/harness.js';
import { P, inboundApp, inboundHarness, objectEvent, propertyChange, signedPost } from './fixtures.js';
import type { InboundHarness } from './fixtures.js';

const settle = (ms = 15) => new Promise((r) => setTimeout(r, ms));

/** Answers the SDK's contacts batch read with the phones in `phones` (contact id -> phone). */
function nockContactsRead(phones: Record<string, { phone?: string; mobilephone?: string }>) {
  return nock('https://api.hubapi.com')
    .persist()
    .post('/crm/v3/objects/contacts/batch/read')
    .reply(200, (_uri, body) => {
      const ids = (body as { inputs: { id: string }[] }).inputs.map((i) => i.id);
      return {
        status: 'COMPLETE',
        startedAt: '2030-01-07T19:00:00Z',
        completedAt: '2030-01-07T19:00:01Z',
        results: ids
          .filter((id) => phones[id])
          .map((id) => ({
            id,
            properties: { hs_object_id: id, ...phones[id] },
            createdAt: '2030-01-01T00:00:00Z',
            updatedAt: '2030-01-07T19:00:00Z',
            archived: false,
          })),
      };
    });
}

async function enrollStarted(h: InboundHarness, campaignId: string, rows: { id: string; phone: string }[]) {
  await h.campaigns.create(P, messageCampaign({ callsPerSecond: 1, maxConcurrentCalls: 10 }), campaignId);
  const report = await h.campaigns.enroll(
    P,
    campaignId,
    rows.map((r) => ({ contactId: r.id, phone: r.phone, timeZone: 'America/New_York' })),
  );
  expect(report.enrolled).toBe(rows.length);
  await h.campaigns.act(P, campaignId, 'start');
}

/** Ends every call the fake carrier placed that has not ended yet (a played message). */
async function endCalls(h: InboundHarness, ended: Set<string>) {
  for (const dial of h.telephony.dials) {
    if (ended.has(dial.attemptId)) continue;
    ended.add(dial.attemptId);
    await h.engine.handleCallEvent({
      type: 'status',
      attemptId: dial.attemptId,
      providerCallId: h.telephony.callIdOf(dial.attemptId),
      status: 'completed',
      sequence: 3,
      durationSec: 20,
      at: h.clock.now(),
    } as CallEvent);
  }
}

describe('HubSpot webhooks', () => {
  let h: InboundHarness;
  beforeEach(async () => {
    h = await inboundHarness('hswebhooks');
  });
  afterEach(async () => {
    nock.cleanAll();
    await h.close();
  });

  it('a DNC flag set in HubSpot mid-campaign: no dial of that contact after the webhook is acknowledged', async () => {
    const rows = Array.from({ length: 6 }, (_, i) => ({ id: `${300 + i}`, phone: `+1212555${1300 + i}` }));
    await enrollStarted(h, 'camp', rows);
    const app = inboundApp(h);
    const ended = new Set<string>();
    // one call a second: the first pass dials one contact, the rest wait their turn
    await h.engine.pass(P);
    await settle();
    expect(h.telephony.dials.length).toBeGreaterThanOrEqual(1);
    const dialedBefore = new Set(h.telephony.dials.map((d) => d.to));
    const target = rows.find((r) => !dialedBefore.has(r.phone))!;
    const optOut = rows.find((r) => !dialedBefore.has(r.phone) && r !== target)!;

    const res = await signedPost(app, '/hubspot/webhooks', [
      propertyChange(target.id, 'autodial_do_not_call', 'true', h.clock.now()),
      propertyChange(optOut.id, 'hs_email_optout', 'true', h.clock.now()),
    ]);
    expect(res.status).toBe(200);
    const acknowledgedAt = h.telephony.dials.length;

    for (let i = 0; i < 40; i++) {
      h.clock.advance(1000);
      await h.engine.pass(P);
      await settle();
      await endCalls(h, ended);
    }
    const after = h.telephony.dials.slice(acknowledgedAt).map((d) => d.to);
    expect(after.length).toBeGreaterThan(0); // the others were still dialed
    expect(after).not.toContain(target.phone);
    expect(after).not.toContain(optOut.phone);
    expect(await h.store.isDoNotCall(P, target.phone)).toBe(true);
    expect((await h.store.getLead(P, 'camp', target.id))?.progress.state).toBe('removed');
  });

  it('batches duplicated, shuffled and split end in the same state as the events in order', async () => {
    const base = h.clock.now();
    const contacts = ['401', '402', '403', '404', '405'];
    const phones: Record<string, { phone?: string; mobilephone?: string }> = {
      '401': { phone: '+12125557401', mobilephone: '' }, // phone changed: a new number
      '402': { phone: '', mobilephone: '+12125551402' }, // moved to the mobile number
      '403': { phone: '+12125550403' },
      '404': { phone: '+12125550404' },
      '405': { phone: '+12125550405' },
    };
    const events = [
      propertyChange('401', 'phone', '+12125557401', base + 10),
      propertyChange('402', 'phone', '', base + 11),
      propertyChange('402', 'mobilephone', '+12125551402', base + 12),
      propertyChange('403', 'hs_timezone', 'america_slash_chicago', base + 20),
      propertyChange('403', 'hs_timezone', 'america_slash_denver', base + 30), // newest wins
      propertyChange('404', 'autodial_do_not_call', 'true', base + 40),
      propertyChange('404', 'autodial_do_not_call', 'false', base + 41), // never re-opens the number
      propertyChange('402', 'autodial_wrong_number', 'false', base + 42), // a flag cleared: nothing to do
      objectEvent('405', 'contact.deletion', base + 50),
      propertyChange('405', 'phone', '+12125559999', base + 45), // before the deletion: changes nothing
      propertyChange('403', 'autodial_wrong_number', 'false', base + 60),
    ];

    async function run(prefixName: string, batches: unknown[][]) {
      const run = prefixName === 'ordered' ? h : await inboundHarness(prefixName);
      try {
        await run.campaigns.create(P, messageCampaign(), 'camp');
        await run.campaigns.enroll(
          P,
          'camp',
          contacts.map((id) => ({ contactId: id, phone: `+1212555${id.padStart(4, '0')}` })),
        );
        const app = inboundApp(run);
        for (const batch of batches) {
          const res = await signedPost(app, '/hubspot/webhooks', batch);
          expect(res.status).toBe(200);
        }
        const state: Record<string, unknown> = {};
        for (const id of contacts) {
          const lead = await run.store.getLead(P, 'camp', id);
          state[id] = { e164: lead?.e164, zone: lead?.zone, state: lead?.progress.state };
        }
        state.dnc = await Promise.all(
          ['+12125550404', '+12125550401', '+12125550402'].map((n) => run.store.isDoNotCall(P, n)),
        );
        return state;
      } finally {
        if (run !== h) await run.close();
      }
    }

    nockContactsRead(phones);
    const ordered = await run('ordered', [events]);
    expect(ordered).toMatchObject({
      '401': { e164: '+12125557401', state: 'queued' },
      '402': { e164: '+12125551402', state: 'queued' },
      '403': { zone: 'America/Denver', state: 'queued' },
      '404': { state: 'removed' },
      '405': { state: 'removed' },
      dnc: [true, false, false],
    });
    for (const seed of [1, 2, 3]) {
      const random = seededRandom(seed);
      const doubled = [...events, ...events.filter(() => random() < 0.6)];
      for (let i = doubled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [doubled[i], doubled[j]] = [doubled[j]!, doubled[i]!];
      }
      const cut1 = 1 + Math.floor(random() * (doubled.length - 2));
      const cut2 = cut1 + Math.floor(random() * (doubled.length - cut1));
      const batches = [doubled.slice(0, cut1), doubled.slice(cut1, cut2), doubled.slice(cut2)].filter(
        (b) => b.length > 0,
      );
      // and the whole delivery once more, as HubSpot does after a timeout
      expect(await run(`hswebhooks-shuffled${seed}`, [...batches, ...batches])).toEqual(ordered);
    }
  });

  it('rejects a malformed batch with 400 naming the field, and changes nothing', async () => {
    const app = inboundApp(h);
    const res = await signedPost(app, '/hubspot/webhooks', [{ eventId: 1, portalId: 'x' }]);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.details)).toMatch(/portalId|subscriptionType/);
  });

  it('a privacy deletion leaves nothing of the contact in Redis, even when its call was live', async () => {
    const contactId = '987654321';
    const phone = '+12125559876';
    await enrollStarted(h, 'camp', [{ id: contactId, phone }]);
    await h.campaigns.create(P, messageCampaign(), 'other');
    await h.campaigns.enroll(P, 'other', [{ contactId, phone, timeZone: 'America/New_York' }]);
    const app = inboundApp(h);
    expect(
      (
        await signedPost(app, '/hubspot/webhooks', [
          propertyChange(contactId, 'hs_timezone', 'america_slash_chicago', 1),
        ])
      ).status,
    ).toBe(200);
    // a workflow execution for the contact, waiting for its call
    await h.inbound.workflow.accept({
      callbackId: 'cb-privacy-1',
      origin: { portalId: P },
      object: { objectId: contactId },
      inputFields: {
        phoneProperty: 'phone',
        phoneNumber: phone,
        messageText: 'Your appointment is tomorrow',
        requireConfirmation: false,
        retryPolicy: 'none',
      },
    });
    await h.engine.pass(P);
    await settle();
    expect(h.telephony.dials.map((d) => d.to)).toContain(phone);

    const deletion = [
      objectEvent(contactId, 'contact.privacyDeletion', h.clock.now()),
      objectEvent(contactId, 'contact.deletion', h.clock.now()),
    ];
    expect((await signedPost(app, '/hubspot/webhooks', deletion)).status).toBe(200);
    // the call was live: the contact is blocked, the purge waits for the call's end
    expect(await h.inbound.privacy.sweep(P)).toBe(1);
    expect(await h.dump()).toContain(contactId);
    await endCalls(h, new Set());
    await settle();
    expect(await h.inbound.privacy.sweep(P)).toBe(0);
    // a late repeat of the deletion and a late property change bring nothing back
    expect((await signedPost(app, '/hubspot/webhooks', deletion)).status).toBe(200);
    expect(
      (await signedPost(app, '/hubspot/webhooks', [propertyChange(contactId, 'phone', phone, 2)])).status,
    ).toBe(200);
    const everything = await h.dump();
    expect(everything.length).toBeGreaterThan(0);
    expect(everything).not.toContain(contactId);
    expect(everything).not.toContain('2125559876');
    // and no campaign dials it
    h.clock.advance(3_600_000);
    const before = h.telephony.dials.length;
    await h.engine.pass(P);
    await settle();
    expect(h.telephony.dials.slice(before).map((d) => d.to)).not.toContain(phone);
  });
});
