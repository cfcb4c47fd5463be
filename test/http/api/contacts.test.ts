import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { MemoryStore } from '../../../src/engine/store/memory-store.js';
import { MANAGER, REP, REP_PHONE, apiHarness, call, campaignBody, grantManager } from './fixtures.js';
import type { ApiHarness } from './fixtures.js';

const HOUR = 3_600_000;

describe('contact, call, agent and account routes (memory store)', () => {
  let store: MemoryStore;
  let h: ApiHarness;
  beforeEach(() => {
    store = new MemoryStore();
    h = apiHarness(store);
    grantManager(h);
    h.contacts.add(MANAGER.portalId, {
      id: 'k1',
      name: 'Ada Lovelace',
      phones: [
        { field: 'phone', raw: '(212) 555-0101' },
        { field: 'mobilephone', raw: '+1 415 555 0102' },
        { field: 'hs_whatsapp_phone_number', raw: 'call me maybe' },
      ],
    });
  });
  afterEach(() => store.close());

  const iAmAvailable = () => call(h.app, 'PUT', '/agents/me', REP, { status: 'available', phone: REP_PHONE });

  it('shows the dialer view: numbers with validity, zone, local time and why not callable', async () => {
    const res = await call(h.app, 'GET', '/contacts/k1/dialer', REP);
    expect(res.status).toBe(200);
    expect(res.body.contact).toEqual({ id: 'k1', name: 'Ada Lovelace' });
    const [ny, sf, bad] = res.body.numbers;
    // Monday 14:00 in New York, 11:00 in San Francisco
    expect(ny).toMatchObject({
      field: 'phone',
      e164: '+12125550101',
      valid: true,
      zone: 'America/New_York',
      localTime: 'Mon 14:00',
      callableNow: true,
    });
    expect(sf).toMatchObject({
      e164: '+14155550102',
      zone: 'America/Los_Angeles',
      localTime: 'Mon 11:00',
      callableNow: true,
    });
    expect(bad).toMatchObject({ valid: false, e164: null, callableNow: false });
    expect(bad.invalidReason).toBeDefined();
    expect(res.body).toMatchObject({ enrollments: [], history: [], activeCall: null });

    // 22:00 in New York: the legal hours are over; next at 08:00 their time
    h.clock.advance(8 * HOUR);
    const late = await call(h.app, 'GET', '/contacts/k1/dialer', REP);
    expect(late.body.numbers[0]).toMatchObject({
      callableNow: false,
      why: 'outside the legal calling hours in their time zone',
      nextAtLocal: 'Tue 08:00',
    });
  });

  it('lists the contact’s enrollments, and a DNC number says so', async () => {
    const c = (await call(h.app, 'POST', '/campaigns', MANAGER, campaignBody('Spring'))).body.campaign;
    await h.campaigns.enroll(MANAGER.portalId, c.id, [{ contactId: 'k1', phone: '+12125550101' }]);
    await h.campaigns.addDoNotCall(MANAGER.portalId, ['+14155550102']);
    const res = await call(h.app, 'GET', '/contacts/k1/dialer', REP);
    expect(res.body.enrollments).toEqual([
      {
        campaignId: c.id,
        campaignName: 'Spring',
        state: 'queued',
        nextAttemptAt: expect.any(Number),
        attempts: 0,
      },
    ]);
    expect(res.body.numbers[1]).toMatchObject({
      callableNow: false,
      why: 'the number is on the Do-Not-Call list',
    });
    expect((await call(h.app, 'GET', '/contacts/nobody/dialer', REP)).status).toBe(404);
  });

  it('click-to-call rings the rep, the call status follows, the wrap-up is recorded once and shows in history', async () => {
    expect((await call(h.app, 'POST', '/contacts/k1/calls', REP, { number: 'phone' })).status).toBe(409); // no rep phone yet
    await iAmAvailable();
    const placed = await call(h.app, 'POST', '/contacts/k1/calls', REP, { number: 'phone' });
    expect(placed.status).toBe(202);
    const { attemptId } = placed.body;
    expect(h.telephony.dials.at(-1)).toMatchObject({ attemptId, to: REP_PHONE });

    expect((await call(h.app, 'GET', `/calls/${attemptId}`, REP)).body).toEqual({
      attemptId,
      contactId: 'k1',
      status: 'ringing-rep',
    });
    const view = await call(h.app, 'GET', '/contacts/k1/dialer', REP);
    expect(view.body.activeCall).toEqual({ attemptId, status: 'ringing-rep' });
    expect(view.body.numbers[0]).toMatchObject({ callableNow: false, why: 'a call to this contact is live' });

    const event = (status: string, sequence: number, extra = {}) =>
      h.engine.handleCallEvent({
        type: 'status',
        attemptId,
        providerCallId: 'CA1',
        status,
        sequence,
        at: h.clock.now(),
        ...extra,
      } as never);
    await event('in-progress', 1);
    expect((await call(h.app, 'GET', `/calls/${attemptId}`, REP)).body.status).toBe('in-progress');
    await event('completed', 2, { durationSec: 42 });
    expect((await call(h.app, 'GET', `/calls/${attemptId}`, REP)).body).toEqual({
      attemptId,
      contactId: 'k1',
      status: 'completed',
      outcome: 'completed',
      durationSec: 42,
    });

    const dispositions = await call(h.app, 'GET', '/dispositions', REP);
    expect(dispositions.body.dispositions).toEqual(
      expect.arrayContaining([{ id: 'CONNECTED', label: 'Connected' }]),
    );
    const wrap = { disposition: 'CONNECTED', notes: 'wants a demo' };
    expect((await call(h.app, 'POST', `/calls/${attemptId}/wrap-up`, REP, wrap)).status).toBe(204);
    expect((await call(h.app, 'POST', `/calls/${attemptId}/wrap-up`, REP, wrap)).status).toBe(204);
    const conflict = await call(h.app, 'POST', `/calls/${attemptId}/wrap-up`, REP, { disposition: 'BUSY' });
    expect(conflict.status).toBe(409);

    const history = (await call(h.app, 'GET', '/contacts/k1/dialer', REP)).body.history;
    expect(history).toEqual([
      {
        attemptId,
        campaignId: 'manual',
        at: expect.any(Number),
        outcome: 'completed',
        disposition: 'CONNECTED',
        durationSec: 42,
        notes: 'wants a demo',
      },
    ]);
  });

  it('refuses to dial a number that is not the contact’s, an unknown disposition, and a DNC contact', async () => {
    await iAmAvailable();
    const other = await call(h.app, 'POST', '/contacts/k1/calls', REP, { number: '+12125559999' });
    expect(other.status).toBe(400);
    expect(other.body.details).toEqual([{ path: 'number', message: expect.any(String) }]);
    expect(h.telephony.dials).toHaveLength(0);

    await h.campaigns.addDoNotCall(MANAGER.portalId, ['+12125550101']);
    const dnc = await call(h.app, 'POST', '/contacts/k1/calls', REP, { number: '+12125550101' });
    expect(dnc.status).toBe(409);
    expect(dnc.body.reason).toBe('DNC');
    expect(h.telephony.dials).toHaveLength(0);

    const placed = await call(h.app, 'POST', '/contacts/k1/calls', REP, { number: 'mobilephone' });
    const wrap = await call(h.app, 'POST', `/calls/${placed.body.attemptId}/wrap-up`, REP, {
      disposition: 'MAYBE',
    });
    expect(wrap.status).toBe(400);
    expect(wrap.body.details[0].path).toBe('disposition');
  });

  it('call now: an enrolled contact is called at once, outside the campaign window but inside the legal hours', async () => {
    await iAmAvailable();
    const c = (await call(h.app, 'POST', '/campaigns', MANAGER, campaignBody())).body.campaign;
    await h.campaigns.enroll(MANAGER.portalId, c.id, [{ contactId: 'k1', phone: '+12125550101' }]);
    // 19:00 in New York: the default window (09-18) is closed, the legal hours (08-21) are open
    h.clock.advance(5 * HOUR);
    const res = await call(h.app, 'POST', `/campaigns/${c.id}/contacts/k1/call-now`, REP);
    expect(res.status).toBe(202);
    expect(h.telephony.dials.at(-1)).toMatchObject({ attemptId: res.body.attemptId });
    expect((await call(h.app, 'POST', `/campaigns/${c.id}/contacts/k2/call-now`, REP)).status).toBe(404);
  });

  it('removes a contact from a campaign (manager only)', async () => {
    const c = (await call(h.app, 'POST', '/campaigns', MANAGER, campaignBody())).body.campaign;
    await h.campaigns.enroll(MANAGER.portalId, c.id, [{ contactId: 'k1', phone: '+12125550101' }]);
    expect((await call(h.app, 'DELETE', `/campaigns/${c.id}/contacts/k1`, REP)).status).toBe(403);
    expect((await call(h.app, 'DELETE', `/campaigns/${c.id}/contacts/k1`, MANAGER)).status).toBe(204);
    expect((await store.getLead(MANAGER.portalId, c.id, 'k1'))?.progress.state).toBe('removed');
    expect((await call(h.app, 'DELETE', `/campaigns/${c.id}/contacts/zz`, MANAGER)).status).toBe(404);
  });

  it('agent presence: offline by default, then available for named campaigns of the portal only', async () => {
    expect((await call(h.app, 'GET', '/agents/me', REP)).body.agent).toEqual({
      userId: '2',
      status: 'offline',
      campaignIds: [],
    });
    const c = (await call(h.app, 'POST', '/campaigns', MANAGER, campaignBody())).body.campaign;
    const res = await call(h.app, 'PUT', '/agents/me', REP, { status: 'available', campaignIds: [c.id] });
    expect(res.body.agent).toEqual({ userId: '2', status: 'available', campaignIds: [c.id] });
    expect(await store.availableAgents(MANAGER.portalId, c.id)).toBe(1);
    await call(h.app, 'PUT', '/agents/me', REP, { status: 'away' });
    expect(await store.availableAgents(MANAGER.portalId, c.id)).toBe(0);
    expect(
      (await call(h.app, 'PUT', '/agents/me', REP, { status: 'available', campaignIds: ['cnope'] })).status,
    ).toBe(404);
  });

  it('account settings: anyone reads, managers change, and the change reaches the engine', async () => {
    const read = await call(h.app, 'GET', '/account/settings', REP);
    expect(read.body.settings).toMatchObject({ timeZone: 'America/New_York', campaignTeams: [] });
    const next = { ...read.body.settings, timeZone: 'America/Chicago', campaignTeams: ['77'] };
    expect((await call(h.app, 'PUT', '/account/settings', REP, next)).status).toBe(403);
    const saved = await call(h.app, 'PUT', '/account/settings', MANAGER, next);
    expect(saved.status).toBe(200);
    expect(h.campaigns.account(MANAGER.portalId).timeZone).toBe('America/Chicago');
    expect((await call(h.app, 'GET', '/account/status', REP)).body).toEqual({
      twilio: { connected: false, detail: 'simulated carrier' },
      hubspot: { connected: true, scopes: ['crm.objects.contacts.read'] },
    });
  });
});
