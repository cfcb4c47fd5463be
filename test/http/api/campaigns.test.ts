import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { MemoryStore } from '../../../src/engine/store/memory-store.js';
import { applyEvent, emptySnapshot } from '../../../src/http/monitor/snapshot.js';
import { MANAGER, REP, apiHarness, call, campaignBody, grantManager } from './fixtures.js';
import type { ApiHarness } from './fixtures.js';

const HOUR = 3_600_000;

describe('campaign routes (memory store)', () => {
  let store: MemoryStore;
  let h: ApiHarness;
  beforeEach(() => {
    store = new MemoryStore();
    h = apiHarness(store);
    grantManager(h);
  });
  afterEach(() => store.close());

  async function created(name = 'Reminders') {
    const res = await call(h.app, 'POST', '/campaigns', MANAGER, campaignBody(name));
    expect(res.status).toBe(201);
    return res.body.campaign as { id: string; version: number; status: string; allowedActions: string[] };
  }

  async function enrollDirect(campaignId: string, phones: string[]) {
    await h.campaigns.enroll(
      MANAGER.portalId,
      campaignId,
      phones.map((phone, i) => ({ contactId: `k${i}`, phone })),
    );
  }

  it('creates, lists, reads and edits a campaign; a stale version is a 409', async () => {
    const c = await created();
    expect(c).toMatchObject({ status: 'draft', version: 1 });
    expect(c.allowedActions).toEqual(expect.arrayContaining(['start', 'edit', 'archive', 'delete']));
    expect(c.allowedActions).not.toContain('pause');

    const list = await call(h.app, 'GET', '/campaigns', REP);
    expect(list.status).toBe(200);
    expect(list.body.campaigns).toEqual([
      expect.objectContaining({
        id: c.id,
        name: 'Reminders',
        status: 'draft',
        mode: 'message',
        answered: 0,
        notAnswered: 0,
        total: 0,
      }),
    ]);

    const read = await call(h.app, 'GET', `/campaigns/${c.id}`, REP);
    expect(read.body.campaign.settings.name).toBe('Reminders');

    const patched = await call(h.app, 'PATCH', `/campaigns/${c.id}`, MANAGER, {
      version: 1,
      settings: campaignBody('Renamed'),
    });
    expect(patched.status).toBe(200);
    expect(patched.body.campaign).toMatchObject({ name: 'Renamed', version: 2 });

    const stale = await call(h.app, 'PATCH', `/campaigns/${c.id}`, MANAGER, {
      version: 1,
      settings: campaignBody('Lost update'),
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ version: 2 });
    expect((await h.campaigns.get(MANAGER.portalId, c.id)).settings.name).toBe('Renamed');
  });

  it('moves through the lifecycle; an action not allowed in the status is a 409 that changes nothing', async () => {
    const c = await created();
    const early = await call(h.app, 'POST', `/campaigns/${c.id}/actions/start`, MANAGER);
    expect(early.status).toBe(409);
    expect(early.body.error).toMatch(/contact list/);

    await enrollDirect(c.id, ['+12125550101']);
    const started = await call(h.app, 'POST', `/campaigns/${c.id}/actions/start`, MANAGER);
    expect(started.status).toBe(200);
    expect(started.body.campaign).toMatchObject({ status: 'active' });
    expect(started.body.campaign.allowedActions).toEqual(expect.arrayContaining(['pause', 'stop']));
    expect(started.body.campaign.allowedActions).not.toContain('delete');

    expect((await call(h.app, 'POST', `/campaigns/${c.id}/actions/resume`, MANAGER)).status).toBe(409);
    expect((await call(h.app, 'DELETE', `/campaigns/${c.id}`, MANAGER)).status).toBe(409);
    expect(
      (await call(h.app, 'POST', `/campaigns/${c.id}/actions/pause`, MANAGER)).body.campaign.status,
    ).toBe('paused');
    expect((await call(h.app, 'POST', `/campaigns/${c.id}/actions/stop`, MANAGER)).body.campaign.status).toBe(
      'completed',
    );
    expect(
      (await call(h.app, 'POST', `/campaigns/${c.id}/actions/restart`, MANAGER)).body.campaign.status,
    ).toBe('active');
    expect((await call(h.app, 'POST', `/campaigns/${c.id}/actions/explode`, MANAGER)).status).toBe(404);
  });

  it('deletes (archives) a campaign: 204, twice; then it is archived and read-only', async () => {
    const c = await created();
    expect((await call(h.app, 'DELETE', `/campaigns/${c.id}`, MANAGER)).status).toBe(204);
    expect((await call(h.app, 'DELETE', `/campaigns/${c.id}`, MANAGER)).status).toBe(204);
    const read = await call(h.app, 'GET', `/campaigns/${c.id}`, MANAGER);
    expect(read.body.campaign).toMatchObject({ status: 'archived', allowedActions: [] });
  });

  it('schedules a start in the future; a past start is a 409 and leaves the settings alone', async () => {
    const c = await created();
    await enrollDirect(c.id, ['+12125550101']);
    const past = await call(h.app, 'POST', `/campaigns/${c.id}/schedule`, MANAGER, {
      startAt: h.clock.now() - HOUR,
    });
    expect(past.status).toBe(409);
    expect((await h.campaigns.get(MANAGER.portalId, c.id)).settings.startAt).toBeUndefined();
    const startAt = h.clock.now() + 2 * HOUR;
    const res = await call(h.app, 'POST', `/campaigns/${c.id}/schedule`, MANAGER, { startAt });
    expect(res.status).toBe(200);
    expect(res.body.campaign).toMatchObject({ status: 'scheduled', scheduledStartAt: startAt });
  });

  it('enrolls a list in the background and reports the job', async () => {
    const c = await created();
    h.crm.addContacts('list-1', [
      { id: 'a', phone: '+12125550101' },
      { id: 'b', phone: 'not a number' },
      { id: 'c', mobilePhone: '(212) 555-0103' },
      { id: 'd', phone: '+12125550104', doNotCall: true },
    ]);
    const res = await call(h.app, 'POST', `/campaigns/${c.id}/enrollments`, MANAGER, {
      listId: 'list-1',
      phoneFields: ['phone', 'mobilephone'],
    });
    expect(res.status).toBe(202);
    expect(res.body.job).toMatchObject({ status: 'running', processed: 0 });
    await Promise.all(h.lists.running);
    const job = await call(h.app, 'GET', `/campaigns/${c.id}/enrollments/${res.body.job.id}`, REP);
    expect(job.body.job).toEqual({
      id: res.body.job.id,
      status: 'completed',
      processed: 4,
      enrolled: 2,
      skipped: 2,
      total: 4,
    });
    expect((await call(h.app, 'GET', `/campaigns/${c.id}/enrollments/jnope`, REP)).status).toBe(404);
  });

  it('previews compliance: invalid, DNC, Florida numbers at 3 calls today, callable', async () => {
    const c = await created();
    const florida = '+13055550199';
    await enrollDirect(c.id, ['+12125550101', '+12125550102', 'garbage', florida]);
    await h.campaigns.addDoNotCall(MANAGER.portalId, ['+12125550102']);
    // three dials of the Florida number in the last hours, in another campaign: the legal cap is reached
    const other = await created('Other');
    await h.campaigns.enroll(MANAGER.portalId, other.id, [{ contactId: 'fl', phone: florida }]);
    for (let i = 0; i < 3; i++) await dialOnce(other.id, 'fl');
    const res = await call(h.app, 'GET', `/campaigns/${c.id}/compliance-preview`, MANAGER);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      total: 4,
      callable: 1,
      invalid: 1,
      doNotCall: 1,
      atDailyCap: 1,
      noCallableTime: 0,
    });
    expect(res.body.summary).toBe(
      '1 of 4 contacts can be called; 1 invalid number, 1 Do-Not-Call, 1 Florida number already at 3 calls today',
    );
  });

  it('previews a list before enrolling it', async () => {
    const c = await created();
    h.crm.addContacts('list-2', [
      { id: 'a', phone: '+12125550101' },
      { id: 'b', phone: '+12125550101' },
      { id: 'c', phone: '' },
    ]);
    const res = await call(h.app, 'GET', `/campaigns/${c.id}/compliance-preview?listId=list-2`, MANAGER);
    expect(res.body).toMatchObject({ total: 3, callable: 1, duplicates: 1, invalid: 1 });
  });

  it('reports the live status from the store (no monitor snapshot: zero rates, no ETA)', async () => {
    const c = await created();
    await enrollDirect(c.id, ['+12125550101', '+12125550102', 'bad']);
    const res = await call(h.app, 'GET', `/campaigns/${c.id}/live`, REP);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'draft',
      counts: { queued: 2, dialing: 0, live: 0, reached: 0, retrying: 0, failed: 0, skipped: 1 },
      activeCalls: [],
      answerRate: null,
      pace: { configuredCps: 1, measuredCps: 0 },
      etaMinutes: null,
    });
  });

  it('counts answered and total calls, active calls, answer rate and pace from the monitor snapshot', async () => {
    const body = { ...campaignBody('Fast'), pace: { callsPerSecond: 10, maxConcurrentCalls: 10 } };
    const c = (await call(h.app, 'POST', '/campaigns', MANAGER, body)).body.campaign;
    await enrollDirect(c.id, ['+12125550101', '+12125550102']);
    await call(h.app, 'POST', `/campaigns/${c.id}/actions/start`, MANAGER);
    await h.engine.pass(MANAGER.portalId);
    h.clock.advance(200); // 10 calls/s: the second call's slot
    await h.engine.pass(MANAGER.portalId);
    const [first, second] = h.telephony.dials;
    expect(second).toBeDefined();
    await h.engine.handleCallEvent({
      type: 'status',
      attemptId: first!.attemptId,
      providerCallId: 'CA1',
      status: 'completed',
      sequence: 1,
      durationSec: 30,
      at: h.clock.now(),
    });
    const events = await store.tail(MANAGER.portalId, '0', { count: 1000, blockMs: 0 });
    const snapshot = events.reduce(applyEvent, emptySnapshot(MANAGER.portalId));
    h.deps.activity = () => snapshot;

    const list = await call(h.app, 'GET', '/campaigns', REP);
    expect(list.body.campaigns[0]).toMatchObject({ id: c.id, answered: 1, notAnswered: 1, total: 2 });
    const live = await call(h.app, 'GET', `/campaigns/${c.id}/live`, REP);
    expect(live.body).toMatchObject({
      status: 'active',
      answerRate: 0.5,
      pace: { configuredCps: 10, measuredCps: 0.2 },
      activeCalls: [
        {
          attemptId: second!.attemptId,
          contactId: expect.any(String),
          toMasked: expect.stringMatching(/^\+1212•••01\d\d$/),
          state: 'initiated',
          since: expect.any(Number),
        },
      ],
    });
    expect(live.body.counts).toMatchObject({ reached: 1, dialing: 1 });
  });

  /** One finished no-answer attempt of a contact in a message campaign, through the engine. */
  async function dialOnce(campaignId: string, contactId: string) {
    const lead = await store.getLead(MANAGER.portalId, campaignId, contactId);
    await store.updateLead(
      MANAGER.portalId,
      campaignId,
      contactId,
      lead!.rev,
      { ...lead!.progress, state: 'queued' },
      h.clock.now(),
    );
    const record = await h.campaigns.get(MANAGER.portalId, campaignId);
    if (record.status !== 'active')
      await h.campaigns.act(MANAGER.portalId, campaignId, record.status === 'paused' ? 'resume' : 'start');
    await h.engine.pass(MANAGER.portalId);
    const dial = h.telephony.dials.at(-1)!;
    await h.engine.handleCallEvent({
      type: 'status',
      attemptId: dial.attemptId,
      providerCallId: h.telephony.callIdOf(dial.attemptId),
      status: 'no-answer',
      sequence: 1,
      at: h.clock.now(),
    });
    await h.campaigns.act(MANAGER.portalId, campaignId, 'pause');
    h.clock.advance(40 * 60_000);
  }
});
