/**
 * Monitor sign-in in production (issue 10 finding 1): "Sign in with HubSpot" through the SDK's OAuth API (nock
 * plays HubSpot), an encrypted HTTP-only SameSite session cookie, the monitor shows only the signed-in portal,
 * /metrics needs its bearer token, and the public event stream never carries notes or recording URLs.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import request from 'supertest';
import { loadEnv } from '../../src/config/env.js';
import { composeBackend, type Backend } from '../../src/app/compose.js';
import { createLogger } from '../../src/observability/logger.js';

const PUBLIC = 'https://dialer.example.com';
const HOST = 'dialer.example.com';
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const CLIENT_ID = '0b7c1d2e-1111-2222-3333-444455556666';
const PORTAL = '4242';

const opened: Backend[] = [];
async function production(extra: Record<string, string> = {}) {
  const env = loadEnv({
    NODE_ENV: 'production',
    PUBLIC_BASE_URL: PUBLIC,
    METRICS_TOKEN,
    HUBSPOT_PORTAL_ID: PORTAL,
    HUBSPOT_CLIENT_ID: CLIENT_ID,
    HUBSPOT_CLIENT_SECRET: 'client-secret-0123456789',
    SESSION_SECRET: 'session-secret-0123456789-0123456789-abcdef',
    ...extra,
  });
  const backend = await composeBackend(env, { logger: createLogger({ level: 'silent' }) });
  opened.push(backend);
  return backend;
}

/** HubSpot's token endpoint and token-info endpoint, as the SDK calls them. */
function hubspotAccepts(code: string, hubId: number, userId = 77) {
  return nock('https://api.hubapi.com')
    .post('/oauth/v1/token', (body: Record<string, string>) => {
      return (
        body.grant_type === 'authorization_code' &&
        body.code === code &&
        body.client_id === CLIENT_ID &&
        body.redirect_uri === `${PUBLIC}/auth/hubspot/callback`
      );
    })
    .reply(200, { access_token: `token-${code}`, refresh_token: 'r', expires_in: 1800, token_type: 'bearer' })
    .get(`/oauth/v1/access-tokens/token-${code}`)
    .reply(200, {
      token: `token-${code}`,
      user: 'rep@example.com',
      hub_domain: 'example.com',
      scopes: ['oauth'],
      hub_id: hubId,
      app_id: 1,
      expires_in: 1800,
      user_id: userId,
      token_type: 'access',
    });
}

/** Runs the sign-in: /auth/login, then HubSpot's redirect back with the code. Returns the session cookie. */
async function signIn(backend: Backend, code: string): Promise<string[]> {
  const agent = request(backend.app);
  const login = await agent.get('/auth/login').set('Host', HOST).expect(302);
  const location = new URL(login.headers.location!);
  expect(location.origin + location.pathname).toBe('https://app.hubspot.com/oauth/authorize');
  expect(location.searchParams.get('client_id')).toBe(CLIENT_ID);
  expect(location.searchParams.get('redirect_uri')).toBe(`${PUBLIC}/auth/hubspot/callback`);
  const state = location.searchParams.get('state')!;
  const pendingCookie = login.headers['set-cookie'] as unknown as string[];
  const callback = await agent
    .get(`/auth/hubspot/callback?code=${code}&state=${state}`)
    .set('Host', HOST)
    .set('Cookie', pendingCookie.map((c) => c.split(';')[0]!).join('; '))
    .expect(303);
  expect(callback.headers.location).toBe('/monitor/');
  const cookies = callback.headers['set-cookie'] as unknown as string[];
  return cookies.map((c) => c.split(';')[0]!);
}

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterEach(() => nock.cleanAll());
afterAll(async () => {
  nock.enableNetConnect();
  for (const b of opened) await b.close();
});

describe('monitor sign-in in production', () => {
  it('without a session: the page leads to sign-in, its data answers 401, /metrics needs the token', async () => {
    const { app } = await production();
    const page = await request(app).get('/monitor/').set('Host', HOST).expect(302);
    expect(page.headers.location).toBe('/auth/login');
    await request(app).get('/monitor/snapshot').set('Host', HOST).expect(401);
    await request(app).get('/monitor/events?after=0').set('Host', HOST).expect(401);
    await request(app).get('/metrics').set('Host', HOST).expect(401);
    await request(app).get('/metrics').set('Host', HOST).set('Authorization', 'Bearer wrong').expect(401);
    await request(app)
      .get('/metrics')
      .set('Host', HOST)
      .set('Authorization', `Bearer ${METRICS_TOKEN}`)
      .expect(200);
  });

  it('signs in with HubSpot: a secure HTTP-only SameSite cookie, then the portal own monitor', async () => {
    const backend = await production();
    const scope = hubspotAccepts('code-ok', Number(PORTAL));
    const login = await request(backend.app).get('/auth/login').set('Host', HOST).expect(302);
    const raw = (login.headers['set-cookie'] as unknown as string[])[0]!;
    expect(raw).toMatch(/^__Host-autodial_monitor=/);
    expect(raw).toMatch(/HttpOnly/i);
    expect(raw).toMatch(/Secure/i);
    expect(raw).toMatch(/SameSite=Lax/i);
    const cookies = await signIn(backend, 'code-ok');
    expect(scope.isDone()).toBe(true);
    const snapshot = await request(backend.app)
      .get('/monitor/snapshot')
      .set('Host', HOST)
      .set('Cookie', cookies.join('; '))
      .expect(200);
    expect(snapshot.body.portalId).toBe(PORTAL);
    await request(backend.app)
      .get('/monitor/')
      .set('Host', HOST)
      .set('Cookie', cookies.join('; '))
      .expect(200);
    // A forged cookie is no session.
    await request(backend.app)
      .get('/monitor/snapshot')
      .set('Host', HOST)
      .set('Cookie', '__Host-autodial_monitor=Fe26.2**forged')
      .expect(401);
    // Logging out ends it.
    const out = await request(backend.app)
      .post('/auth/logout')
      .set('Host', HOST)
      .set('Cookie', cookies.join('; '))
      .expect(204);
    const cleared = (out.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]!);
    await request(backend.app)
      .get('/monitor/snapshot')
      .set('Host', HOST)
      .set('Cookie', cleared.join('; '))
      .expect(401);
  });

  it('a user of another portal sees nothing of this one', async () => {
    const backend = await production();
    hubspotAccepts('code-other', 9999);
    const cookies = await signIn(backend, 'code-other');
    const res = await request(backend.app)
      .get('/monitor/snapshot')
      .set('Host', HOST)
      .set('Cookie', cookies.join('; '))
      .expect(403);
    expect(res.body.error).toMatch(/another HubSpot portal/);
    await request(backend.app)
      .get('/monitor/events?after=0')
      .set('Host', HOST)
      .set('Cookie', cookies.join('; '))
      .expect(403);
  });

  it('refuses a callback whose state was not issued here, and a code HubSpot rejects', async () => {
    const backend = await production();
    await request(backend.app)
      .get('/auth/hubspot/callback?code=abc&state=AAAAAAAAAAAAAAAAAAAAAAAA')
      .set('Host', HOST)
      .expect(401);
    await request(backend.app).get('/auth/hubspot/callback?code=%00').set('Host', HOST).expect(400);
    await request(backend.app)
      .get('/auth/hubspot/callback?error=access_denied')
      .set('Host', HOST)
      .expect(401);
    nock('https://api.hubapi.com')
      .post('/oauth/v1/token')
      .reply(400, { status: 'BAD_AUTH_CODE', message: 'bad' });
    const login = await request(backend.app).get('/auth/login').set('Host', HOST).expect(302);
    const state = new URL(login.headers.location!).searchParams.get('state')!;
    const pending = (login.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]!);
    await request(backend.app)
      .get(`/auth/hubspot/callback?code=bad-code&state=${state}`)
      .set('Host', HOST)
      .set('Cookie', pending.join('; '))
      .expect(401);
  });

  it('without sign-in variables the production monitor is off', async () => {
    const env = loadEnv({ NODE_ENV: 'production', PUBLIC_BASE_URL: PUBLIC, METRICS_TOKEN });
    const backend = await composeBackend(env, { logger: createLogger({ level: 'silent' }) });
    opened.push(backend);
    await request(backend.app).get('/monitor/snapshot').set('Host', HOST).expect(404);
  });
});
