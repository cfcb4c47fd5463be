/** The API over the Redis store (unique key prefix): campaigns, the dialer view, a call and its wrap-up. */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { redisStore, uniquePrefix } from '../../engine/redis-helpers.js';
import { MANAGER, REP, REP_PHONE, apiHarness, call, campaignBody, grantManager } from './fixtures.js';
import type { ApiHarness } from './fixtures.js';

describe('API over the Redis store', () => {
  const redis = redisStore(uniquePrefix('api'));
  let h: ApiHarness;
  beforeAll(() => {
    h = apiHarness(redis.store);
    grantManager(h);
    h.contacts.add(MANAGER.portalId, {
      id: 'k1',
      name: 'Ada',
      phones: [
        { field: 'phone', raw: '+12125550101' },
        { field: 'mobilephone', raw: '+13055550102' },
      ],
    });
  });
  afterAll(() => redis.cleanup());

  it('creates campaigns, enrolls, previews, shows the dialer view and wraps up a call', async () => {
    const ids: string[] = [];
    for (const name of ['One', 'Two']) {
      const res = await call(h.app, 'POST', '/campaigns', MANAGER, campaignBody(name));
      expect(res.status).toBe(201);
      ids.push(res.body.campaign.id);
      await h.campaigns.enroll(MANAGER.portalId, res.body.campaign.id, [
        { contactId: 'k1', phone: name === 'One' ? '+12125550101' : '+13055550102' },
        { contactId: 'k2', phone: 'nope' },
      ]);
    }
    const list = await call(h.app, 'GET', '/campaigns', REP);
    expect(list.body.campaigns.map((c: { name: string }) => c.name).sort()).toEqual(['One', 'Two']);

    const preview = await call(h.app, 'GET', `/campaigns/${ids[0]}/compliance-preview`, MANAGER);
    expect(preview.body).toMatchObject({ total: 2, callable: 1, invalid: 1 });

    const view = await call(h.app, 'GET', '/contacts/k1/dialer', REP);
    expect(view.status).toBe(200);
    expect(view.body.enrollments.map((e: { campaignName: string }) => e.campaignName).sort()).toEqual([
      'One',
      'Two',
    ]);
    expect(view.body.numbers.map((n: { callableNow: boolean }) => n.callableNow)).toEqual([true, true]);

    await call(h.app, 'PUT', '/agents/me', REP, { status: 'available', phone: REP_PHONE });
    const placed = await call(h.app, 'POST', '/contacts/k1/calls', REP, { number: 'mobilephone' });
    expect(placed.status).toBe(202);
    const { attemptId } = placed.body;
    await h.engine.handleCallEvent({
      type: 'status',
      attemptId,
      providerCallId: 'CA1',
      status: 'completed',
      sequence: 1,
      durationSec: 30,
      at: h.clock.now(),
    });
    expect((await call(h.app, 'GET', `/calls/${attemptId}`, REP)).body).toMatchObject({
      status: 'completed',
      durationSec: 30,
    });
    expect(
      (await call(h.app, 'POST', `/calls/${attemptId}/wrap-up`, REP, { disposition: 'DO_NOT_CALL' })).status,
    ).toBe(204);

    const after = await call(h.app, 'GET', '/contacts/k1/dialer', REP);
    expect(after.body.numbers[1]).toMatchObject({
      callableNow: false,
      why: 'the number is on the Do-Not-Call list',
    });
    expect(after.body.history[0]).toMatchObject({ attemptId, disposition: 'DO_NOT_CALL' });
    // another portal sees none of it
    expect((await call(h.app, 'GET', '/contacts/k1/dialer', { portalId: '999', userId: '2' })).status).toBe(
      404,
    );
  });
});
