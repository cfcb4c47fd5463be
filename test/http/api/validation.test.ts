import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import fc from 'fast-check';
import { MemoryStore } from '../../../src/engine/store/memory-store.js';
import { MANAGER, REP_PHONE, apiHarness, call, campaignBody, grantManager } from './fixtures.js';
import type { ApiHarness } from './fixtures.js';

describe('bad bodies get a 400 naming each field, never a 5xx (memory store)', () => {
  const store = new MemoryStore();
  let h: ApiHarness;
  let campaignId: string;
  let attemptId: string;

  beforeAll(async () => {
    h = apiHarness(store);
    grantManager(h);
    h.contacts.add(MANAGER.portalId, {
      id: 'k1',
      name: 'Ada',
      phones: [{ field: 'phone', raw: '+12125550101' }],
    });
    campaignId = (await call(h.app, 'POST', '/campaigns', MANAGER, campaignBody())).body.campaign.id;
    await call(h.app, 'PUT', '/agents/me', MANAGER, { status: 'available', phone: REP_PHONE });
    attemptId = (await call(h.app, 'POST', '/contacts/k1/calls', MANAGER, { number: 'phone' })).body
      .attemptId;
  });
  afterAll(() => store.close());

  it.each([
    [
      'a campaign without a name and a bad pace',
      'POST',
      '/campaigns',
      { ...campaignBody(), name: '', pace: { callsPerSecond: -1 } },
      ['name', 'pace.callsPerSecond'],
    ],
    [
      'a campaign with a bad caller ID and window',
      'POST',
      '/campaigns',
      {
        ...campaignBody(),
        callerIds: ['555'],
        windows: { monday: { enabled: true, start: '25:00', end: '10:00' } },
      },
      ['callerIds.0', 'windows.monday.start'],
    ],
    [
      'a voicemail drop without detection',
      'POST',
      '/campaigns',
      { ...campaignBody(), amd: { detection: 'detect', onMachine: 'drop-voicemail' } },
      ['amd.detection', 'amd.voicemail'],
    ],
    ['an edit without a version', 'PATCH', '/campaigns/:c', { settings: campaignBody() }, ['version']],
    [
      'an edit with bad settings',
      'PATCH',
      '/campaigns/:c',
      { version: 1, settings: { ...campaignBody(), ringTimeoutSec: 5 } },
      ['settings.ringTimeoutSec'],
    ],
    ['a schedule with a date string', 'POST', '/campaigns/:c/schedule', { startAt: 'tomorrow' }, ['startAt']],
    [
      'an enrollment without a list',
      'POST',
      '/campaigns/:c/enrollments',
      { phoneFields: ['Phone Number!'] },
      ['listId', 'phoneFields.0'],
    ],
    ['a call without a number', 'POST', '/contacts/k1/calls', {}, ['number']],
    [
      'a wrap-up with notes as a number',
      'POST',
      '/calls/:a/wrap-up',
      { disposition: 'CONNECTED', notes: 42 },
      ['notes'],
    ],
    [
      'a presence with a bad status and phone',
      'PUT',
      '/agents/me',
      { status: 'busy', phone: '12' },
      ['status', 'phone'],
    ],
    [
      'account settings with a bad zone and team',
      'PUT',
      '/account/settings',
      { timeZone: 'Mars/Base', campaignTeams: ['sales'] },
      ['timeZone', 'campaignTeams.0'],
    ],
  ] as const)('%s', async (_name, method, rawPath, body, paths) => {
    const path = rawPath.replace(':c', campaignId).replace(':a', attemptId);
    const before = await store.getCampaign(MANAGER.portalId, campaignId);
    const res = await call(h.app, method, path, MANAGER, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual(expect.any(String));
    const got = (res.body.details as { path: string; message: string }[]).map((d) => d.path);
    expect(got).toEqual(expect.arrayContaining([...paths]));
    for (const d of res.body.details) expect(d.message).toEqual(expect.any(String));
    expect(await store.getCampaign(MANAGER.portalId, campaignId)).toEqual(before);
  });

  it('malformed and hostile JSON is a 400', async () => {
    expect((await call(h.app, 'POST', '/campaigns', MANAGER, '{"name":')).status).toBe(400);
    const deep = '['.repeat(100) + ']'.repeat(100);
    expect((await call(h.app, 'POST', '/campaigns', MANAGER, deep)).status).toBe(400);
  });

  it('any JSON body on any write route is answered below 500 (property)', async () => {
    const routes: ['POST' | 'PUT' | 'PATCH', string][] = [
      ['POST', '/campaigns'],
      ['PATCH', `/campaigns/${campaignId}`],
      ['POST', `/campaigns/${campaignId}/schedule`],
      ['POST', `/campaigns/${campaignId}/enrollments`],
      ['POST', '/contacts/k1/calls'],
      ['POST', `/calls/${attemptId}/wrap-up`],
      ['PUT', '/agents/me'],
      ['PUT', '/account/settings'],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.jsonValue({ maxDepth: 4 }),
        async ([method, path], body) => {
          const res = await call(h.app, method, path, MANAGER, JSON.stringify(body));
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) expect(res.body.error).toEqual(expect.any(String));
        },
      ),
      { numRuns: 150 },
    );
  });
});
