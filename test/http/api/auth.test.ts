import { describe, it, expect } from '@jest/globals';
import request from 'supertest';
import { MemoryStore } from '../../../src/engine/store/memory-store.js';
import { v3Headers } from '../hubspot/signing.js';
import { BASE, REP, SECRET, apiHarness, call, signedPath } from './fixtures.js';

describe('API authentication: HubSpot v3 signatures made by the SDK', () => {
  const store = new MemoryStore();
  const h = apiHarness(store);

  const url = signedPath('/api/v1/campaigns', REP);

  it('accepts a valid signature and takes the portal and user from the signed URL', async () => {
    const res = await call(h.app, 'GET', '/campaigns', REP);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ campaigns: [] });
  });

  it('accepts a signed POST whose JSON body the app did not parse first', async () => {
    h.roles.set('101', '2', { superAdmin: true, teamIds: [] });
    const res = await call(h.app, 'PUT', '/agents/me', REP, { status: 'away' });
    expect(res.status).toBe(200);
    expect(res.body.agent).toMatchObject({ userId: '2', status: 'away' });
  });

  it('rejects a tampered query (another portal) with 401', async () => {
    const headers = v3Headers({ secret: SECRET, method: 'GET', url: `${BASE}${url}` });
    const res = await request(h.app).get(url.replace('portalId=101', 'portalId=999')).set(headers);
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/invalid/i);
  });

  it('rejects a tampered body with 401 and changes nothing', async () => {
    const put = signedPath('/api/v1/agents/me', REP);
    const headers = v3Headers({
      secret: SECRET,
      method: 'PUT',
      url: `${BASE}${put}`,
      body: '{"status":"away"}',
    });
    const res = await request(h.app)
      .put(put)
      .set(headers)
      .set('content-type', 'application/json')
      .send('{"status":"available"}');
    expect(res.status).toBe(401);
    expect(await h.deps.agents.get('101', '2')).toMatchObject({ status: 'away' });
  });

  it('rejects a stale timestamp with 401, not 500', async () => {
    const headers = v3Headers({
      secret: SECRET,
      method: 'GET',
      url: `${BASE}${url}`,
      timestamp: Date.now() - 10 * 60_000,
    });
    const res = await request(h.app).get(url).set(headers);
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/5-minute window/);
  });

  it('rejects a missing signature with 401, even with a JSON body', async () => {
    const res = await request(h.app).post(url).set('content-type', 'application/json').send('{"name":"x"}');
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/missing HubSpot signature/);
  });

  it('rejects a signature made with another secret with 401', async () => {
    const headers = v3Headers({ secret: 'another-secret-0123456789', method: 'GET', url: `${BASE}${url}` });
    expect((await request(h.app).get(url).set(headers)).status).toBe(401);
  });

  it('rejects a valid signature over a URL without portalId and userId with 401', async () => {
    const bare = '/api/v1/campaigns';
    const headers = v3Headers({ secret: SECRET, method: 'GET', url: `${BASE}${bare}` });
    const res = await request(h.app).get(bare).set(headers);
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/portalId and userId/);
  });

  it('serves the OpenAPI document generated from the schemas, without a signature', async () => {
    const res = await request(h.app).get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/campaigns',
        '/campaigns/{id}',
        '/contacts/{contactId}/dialer',
        '/calls/{attemptId}/wrap-up',
      ]),
    );
    // the campaign settings schema's fields come from zod, not from a hand-written document
    const settings = res.body.components.schemas.CampaignSettings;
    expect(settings.properties.pace).toBeDefined();
    expect(settings.required).toEqual(expect.arrayContaining(['name', 'callerIds']));
  });
});
