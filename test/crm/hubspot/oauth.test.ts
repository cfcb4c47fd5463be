/** The OAuth install flow: authorize redirect with the scopes, code exchange through the SDK, uninstall. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import express from 'express';
import nock from 'nock';
import request from 'supertest';
import { realClock } from '../../../src/shared/clock.js';
import { HubSpotInstaller, createOAuthRouter } from '../../../src/crm/hubspot/oauth.js';
import type { RedisClient } from '../../../src/crm/hubspot/redis.js';
import { requiredScopeList } from '../../../src/crm/hubspot/scopes.js';
import { TokenCipher } from '../../../src/crm/hubspot/token-crypto.js';
import { TokenVault } from '../../../src/crm/hubspot/tokens.js';
import { createLogger } from '../../../src/observability/logger.js';
import { HUBSPOT, deleteByPrefix, testRedis, uniquePrefix } from './helpers.js';

const prefix = uniquePrefix('oauth');
let redis: RedisClient;
let vault: TokenVault;
let installer: HubSpotInstaller;
const installed: string[] = [];
const app = express();

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1/);
  redis = await testRedis();
  vault = new TokenVault(redis, prefix, new TokenCipher(randomBytes(32)));
  installer = new HubSpotInstaller({
    redis,
    keyPrefix: prefix,
    vault,
    clientId: 'cid-1',
    clientSecret: 'secret-1',
    publicBaseUrl: 'https://dialer.example.com',
    clock: realClock,
    logger: createLogger({ level: 'silent' }),
    afterInstall: async (portalId) => {
      installed.push(portalId);
    },
  });
  app.use('/oauth/hubspot', createOAuthRouter(installer, createLogger({ level: 'silent' })));
});
afterEach(() => nock.cleanAll());
afterAll(async () => {
  // nock patches Node's shared http module: give the network back to the next test file of this worker.
  nock.cleanAll();
  nock.enableNetConnect();
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

async function startInstall(): Promise<URL> {
  const res = await request(app).get('/oauth/hubspot/install');
  expect(res.status).toBe(302);
  return new URL(res.headers.location!);
}

describe('OAuth install', () => {
  it('redirects to the authorize page with every required scope, the redirect URI and a state', async () => {
    const url = await startInstall();
    expect(url.origin + url.pathname).toBe('https://app.hubspot.com/oauth/authorize');
    expect(url.searchParams.get('client_id')).toBe('cid-1');
    expect(url.searchParams.get('redirect_uri')).toBe('https://dialer.example.com/oauth/hubspot/callback');
    expect(url.searchParams.get('scope')!.split(' ').sort()).toEqual(requiredScopeList().sort());
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
  });

  it('exchanges the code, stores the tokens encrypted for the portal and installs the properties', async () => {
    const state = (await startInstall()).searchParams.get('state')!;
    let exchange = '';
    nock(HUBSPOT)
      .post('/oauth/v1/token', (body: unknown) => {
        exchange =
          typeof body === 'string' ? body : new URLSearchParams(body as Record<string, string>).toString();
        return true;
      })
      .reply(200, { access_token: 'acc-1', refresh_token: 'ref-1', expires_in: 1800, token_type: 'bearer' })
      .get('/oauth/v1/access-tokens/acc-1')
      .reply(200, {
        hub_id: 5150,
        user_id: 1,
        scopes: requiredScopeList(),
        token_type: 'access',
        app_id: 9,
        expires_in: 1800,
        token: 'acc-1',
      });
    const res = await request(app).get('/oauth/hubspot/callback').query({ code: 'the-code', state });
    expect(res.status).toBe(200);
    expect(res.text).toContain('5150');
    expect(exchange).toContain('grant_type=authorization_code');
    expect(exchange).toContain('code=the-code');
    expect(exchange).toContain('client_secret=secret-1');
    expect(await vault.load('5150')).toMatchObject({ accessToken: 'acc-1', refreshToken: 'ref-1' });
    expect(installed).toContain('5150');
    // The state is single use.
    const again = await request(app).get('/oauth/hubspot/callback').query({ code: 'the-code', state });
    expect(again.status).toBe(400);
    expect(again.body.details[0].path).toBe('state');
  });

  it('answers 400 with the field for a missing code, a refused code or a denied install', async () => {
    const missing = await request(app).get('/oauth/hubspot/callback').query({ state: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.body.details).toEqual([{ path: 'code', message: 'code is required' }]);
    const state = (await startInstall()).searchParams.get('state')!;
    nock(HUBSPOT).post('/oauth/v1/token').reply(400, { status: 'BAD_AUTH_CODE', message: 'expired' });
    const refused = await request(app).get('/oauth/hubspot/callback').query({ code: 'old', state });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/refused the authorization code/);
    const denied = await request(app).get('/oauth/hubspot/callback').query({ error: 'access_denied' });
    expect(denied.status).toBe(400);
  });

  it('removes the tokens on uninstall', async () => {
    await vault.save('6000', {
      accessToken: 'a',
      refreshToken: 'r',
      expiresAt: Date.now() + 60_000,
      scopes: [],
    });
    await installer.uninstall('6000');
    expect(await vault.load('6000')).toBeNull();
    expect(await vault.portals()).not.toContain('6000');
  });
});
