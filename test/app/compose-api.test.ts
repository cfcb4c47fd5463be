/** The composition root mounts the card API (signed) and its OpenAPI document. */
import { describe, it, expect, afterAll } from '@jest/globals';
import request from 'supertest';
import { loadEnv } from '../../src/config/env.js';
import { composeBackend } from '../../src/app/compose.js';
import type { Backend } from '../../src/app/compose.js';
import { StaticRoleDirectory } from '../../src/http/api/roles.js';
import { createLogger } from '../../src/observability/logger.js';
import { v3Headers } from '../http/hubspot/signing.js';

const SECRET = 'compose-client-secret-0123';
const BASE = 'https://dialer.example.com';
const opened: Backend[] = [];
afterAll(async () => {
  for (const backend of opened) await backend.close();
});

describe('composeBackend with the card API', () => {
  it('serves /api/v1 behind the HubSpot signature, with the account defaults the engine uses', async () => {
    const roles = new StaticRoleDirectory();
    roles.set('42', '7', { superAdmin: true, teamIds: [] });
    const backend = await composeBackend(
      loadEnv({ HUBSPOT_CLIENT_SECRET: SECRET, PUBLIC_BASE_URL: BASE, HUBSPOT_PORTAL_ID: '42' }),
      { logger: createLogger({ level: 'silent' }), roles },
    );
    opened.push(backend);
    const path = '/api/v1/account/settings?portalId=42&userId=7';
    await request(backend.app).get(path).expect(401);
    const res = await request(backend.app)
      .get(path)
      .set(v3Headers({ secret: SECRET, method: 'GET', url: `${BASE}${path}` }));
    expect(res.status).toBe(200);
    const next = { ...res.body.settings, timeZone: 'America/Denver' };
    const body = JSON.stringify(next);
    const put = await request(backend.app)
      .put(path)
      .set(v3Headers({ secret: SECRET, method: 'PUT', url: `${BASE}${path}`, body }))
      .set('content-type', 'application/json')
      .send(body);
    expect(put.status).toBe(200);
    expect(backend.campaigns.account('42').timeZone).toBe('America/Denver');
    const doc = await request(backend.app).get('/api/openapi.json').expect(200);
    expect(doc.body.paths['/campaigns/{id}/compliance-preview']).toBeDefined();
  });

  it('without a client secret there is no card API, but the document is served', async () => {
    const backend = await composeBackend(loadEnv({}), { logger: createLogger({ level: 'silent' }) });
    opened.push(backend);
    await request(backend.app).get('/api/v1/campaigns').expect(404);
    await request(backend.app).get('/api/openapi.json').expect(200);
  });
});
