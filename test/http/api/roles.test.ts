import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import nock from 'nock';
import { MemoryStore } from '../../../src/engine/store/memory-store.js';
import { HubSpotRoleDirectory } from '../../../src/http/api/roles.js';
import { apiHarness, call, campaignBody } from './fixtures.js';
import type { ApiHarness, Who } from './fixtures.js';

const HUBSPOT = 'https://api.hubapi.com';
const PORTAL = '202';
const admin: Who = { portalId: PORTAL, userId: '11' };
const teamMember: Who = { portalId: PORTAL, userId: '12' };
const rep: Who = { portalId: PORTAL, userId: '13' };

function user(id: string, extra: object) {
  return { id, email: `${id}@example.com`, roleIds: [], ...extra };
}

describe('roles from HubSpot’s users API (nock), enforced server-side', () => {
  let store: MemoryStore;
  let h: ApiHarness;
  let now: number;
  const tokens: string[] = [];

  beforeEach(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    now = 1_000_000;
    tokens.length = 0;
    store = new MemoryStore();
    const roles = new HubSpotRoleDirectory({
      accessToken: async (portalId) => {
        tokens.push(portalId);
        return `token-${portalId}`;
      },
      ttlMs: 60_000,
      now: () => now,
    });
    h = apiHarness(store, { roles });
    void h.accounts.put(PORTAL, { ...h.accounts.settingsOf(PORTAL), campaignTeams: ['500'] });
  });
  afterEach(async () => {
    nock.cleanAll();
    nock.enableNetConnect();
    await store.close();
  });

  const usersApi = (userId: string, body: object, status = 200) =>
    nock(HUBSPOT, { reqheaders: { authorization: `Bearer token-${PORTAL}` } })
      .get(`/settings/v3/users/${userId}`)
      .query({ idProperty: 'USER_ID' })
      .reply(status, body);

  it('lets a super admin create a campaign, and caches the answer briefly', async () => {
    const scope = usersApi('11', user('11', { superAdmin: true }));
    expect((await call(h.app, 'POST', '/campaigns', admin, campaignBody())).status).toBe(201);
    expect((await call(h.app, 'POST', '/campaigns', admin, campaignBody('Second'))).status).toBe(201);
    expect(scope.isDone()).toBe(true); // one HubSpot call for two requests
    now += 61_000;
    const again = usersApi('11', user('11', { superAdmin: false }));
    expect((await call(h.app, 'POST', '/campaigns', admin, campaignBody('Third'))).status).toBe(403);
    expect(again.isDone()).toBe(true);
  });

  it('lets a member of an allowed team (primary or secondary) manage, and refuses everyone else', async () => {
    usersApi('12', user('12', { primaryTeamId: '400', secondaryTeamIds: ['500'] }));
    usersApi('13', user('13', { primaryTeamId: '400' }));
    expect((await call(h.app, 'POST', '/campaigns', teamMember, campaignBody())).status).toBe(201);
    const refused = await call(h.app, 'POST', '/campaigns', rep, campaignBody());
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/super admins/);
    expect((await store.listCampaigns(PORTAL)).length).toBe(1);
  });

  it('never trusts roles sent by the card: a body claiming super admin changes nothing', async () => {
    usersApi('13', user('13', {}));
    const res = await call(h.app, 'PUT', '/account/settings', rep, {
      ...h.accounts.settingsOf(PORTAL),
      campaignTeams: ['999'],
      superAdmin: true,
    });
    expect(res.status).toBe(403);
    expect(h.accounts.settingsOf(PORTAL).campaignTeams).toEqual(['500']);
  });

  it('lets every user read, call and see the dialer view without asking HubSpot', async () => {
    expect((await call(h.app, 'GET', '/campaigns', rep)).status).toBe(200);
    expect((await call(h.app, 'GET', '/account/settings', rep)).status).toBe(200);
    h.contacts.add(PORTAL, { id: 'k1', name: 'Ada', phones: [{ field: 'phone', raw: '+12125550101' }] });
    expect((await call(h.app, 'GET', '/contacts/k1/dialer', rep)).status).toBe(200);
    expect(
      (await call(h.app, 'PUT', '/agents/me', rep, { status: 'available', phone: '+12125557777' })).status,
    ).toBe(200);
    expect((await call(h.app, 'POST', '/contacts/k1/calls', rep, { number: 'phone' })).status).toBe(202);
    expect(nock.pendingMocks()).toEqual([]);
    expect(tokens).toEqual([]);
  });

  it('an unknown user is refused (404 from HubSpot), a HubSpot outage is a 503, not a crash', async () => {
    usersApi('13', { status: 'error', message: 'not found' }, 404);
    expect((await call(h.app, 'POST', '/campaigns', rep, campaignBody())).status).toBe(403);
    usersApi('11', { status: 'error', message: 'boom' }, 502);
    const outage = await call(h.app, 'POST', '/campaigns', admin, campaignBody());
    expect(outage.status).toBe(503);
    expect(outage.body.error).toMatch(/HubSpot roles/);
  });
});
