/**
 * The composition root, as `npm start` builds it, without a port: the in-process store and the simulated carrier
 * answer every probe; a Redis unreachable at start-up stops it (naming REDIS_URL), and one that goes away later
 * makes readiness fail and name redis.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import request from 'supertest';
import { loadEnv } from '../../src/config/env.js';
import { composeBackend } from '../../src/app/compose.js';
import type { Backend } from '../../src/app/compose.js';
import { createLogger } from '../../src/observability/logger.js';
import { RedisUnavailableError } from '../../src/engine/store/redis/connection.js';
import { CuttableProxy } from '../engine/fixtures/cuttable-proxy.js';
import { REDIS_URL } from '../engine/redis-helpers.js';
import { shiftedClock } from '../../src/shared/clock.js';

const logger = createLogger({ level: 'silent' });
const opened: Backend[] = [];
afterAll(async () => {
  for (const backend of opened) await backend.close();
});

async function compose(env: Record<string, string>) {
  const backend = await composeBackend(loadEnv(env), { logger, healthTimeoutMs: 1000 });
  opened.push(backend);
  return backend;
}

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

describe('composeBackend', () => {
  it('on embedded defaults serves health, readiness, metrics and the monitor', async () => {
    const backend = await compose({ METRICS_TOKEN: METRICS_TOKEN });
    await backend.start();
    expect(backend.simulator).not.toBeNull();
    expect(backend.localCrm).not.toBeNull();
    const { app } = backend;
    await request(app).get('/healthz').expect(200, { ok: true });
    await request(app).get('/readyz').expect(200, { ok: true, checks: [] });
    await request(app).get('/monitor').expect(200).expect('content-type', /html/);
    const snapshot = await request(app).get('/monitor/snapshot').expect(200);
    expect(snapshot.body.portalId).toBe('0');
    await request(app).get('/metrics').expect(401);
    const metrics = await request(app)
      .get('/metrics')
      .set('Authorization', `Bearer ${METRICS_TOKEN}`)
      .expect(200);
    expect(metrics.text).toMatch(/^# HELP autodial_dials_total/m);
    expect(metrics.text).toContain(
      'autodial_http_requests_total{method="GET",route="/readyz",status="2xx"} 1',
    );
    // No Twilio router without TELEPHONY=twilio.
    await request(app).post('/twilio/status').expect(404);
  });

  it('hides /metrics when METRICS_ENABLED=false, and when no METRICS_TOKEN is set', async () => {
    const backend = await compose({ METRICS_ENABLED: 'false', METRICS_TOKEN });
    await request(backend.app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(404);
    const tokenless = await compose({});
    await request(tokenless.app).get('/metrics').expect(404);
  });

  it('refuses to start, naming REDIS_URL, when Redis is unreachable at start-up', async () => {
    await expect(
      compose({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_KEY_PREFIX: 'test-refused' }),
    ).rejects.toThrow(RedisUnavailableError);
    await expect(
      compose({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_KEY_PREFIX: 'test-refused' }),
    ).rejects.toThrow(/REDIS_URL=redis:\/\/127\.0\.0\.1:1/);
  });

  it('reports not ready, naming redis, when Redis goes away after start-up', async () => {
    const proxy = new CuttableProxy(new URL(REDIS_URL));
    await proxy.listen();
    const backend = await compose({
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      REDIS_KEY_PREFIX: 'test-gone',
    });
    await request(backend.app).get('/readyz').expect(200);
    await proxy.cut();
    const res = await request(backend.app).get('/readyz').expect(503);
    expect(res.body.ok).toBe(false);
    // the clock was measured before the cut: its check keeps that answer (the redis check names the outage)
    expect(res.body.checks).toEqual([
      { name: 'redis', ok: false, error: expect.any(String) },
      { name: 'clock', ok: true },
    ]);
    await request(backend.app).get('/healthz').expect(200);
  });

  it('on Redis checks the worker clock against Redis TIME: 10 minutes slow, /readyz names the clock', async () => {
    const env = loadEnv({ REDIS_URL, REDIS_KEY_PREFIX: 'test-clock' });
    const slow = await composeBackend(env, {
      logger,
      healthTimeoutMs: 1000,
      clock: shiftedClock(-10 * 60_000),
      engine: { clockCheck: { maxSkewMs: 2000 } },
    });
    opened.push(slow);
    const res = await request(slow.app).get('/readyz').expect(503);
    expect(res.body.checks).toEqual([
      { name: 'redis', ok: true },
      { name: 'clock', ok: false, error: expect.stringMatching(/clock is 600\.\d s behind .*Redis TIME/) },
    ]);
    // a right clock (the default on Redis: checked with a 2 s bound) is ready
    const right = await compose({ REDIS_URL, REDIS_KEY_PREFIX: 'test-clock' });
    const ok = await request(right.app).get('/readyz').expect(200);
    expect(ok.body.checks).toEqual([
      { name: 'redis', ok: true },
      { name: 'clock', ok: true },
    ]);
  });

  it('mounts the signed Twilio webhooks at /twilio when TELEPHONY=twilio', async () => {
    const backend = await compose({
      TELEPHONY: 'twilio',
      TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'a'.repeat(32),
      PUBLIC_BASE_URL: 'https://dialer.example.com',
    });
    expect(backend.simulator).toBeNull();
    const res = await request(backend.app).post('/twilio/status').type('form').send({ CallSid: 'x' });
    expect(res.status).toBe(403);
    expect(res.text).toBe('invalid Twilio signature');
  });

  it('accepts CRM=hubspot with a private-app token: the Crm port is the HubSpot adapter of the portal', async () => {
    const backend = await compose({
      CRM: 'hubspot',
      HUBSPOT_ACCESS_TOKEN: 'x'.repeat(20),
      HUBSPOT_CLIENT_SECRET: 'y'.repeat(20),
      HUBSPOT_PORTAL_ID: '4242',
      PUBLIC_BASE_URL: 'https://dialer.example.com',
      REDIS_URL,
      REDIS_KEY_PREFIX: `test-compose-hs-${process.pid}`,
    });
    expect(backend.localCrm).toBeNull();
    expect(backend.hubspot).not.toBeNull();
    expect(backend.crm).toBe(backend.hubspot!.crmFor('4242'));
    expect(backend.hubspot!.installer).toBeNull();
    await request(backend.app).get('/oauth/hubspot/install').expect(404);
  });

  it('accepts CRM=hubspot as an OAuth app and mounts the install flow', async () => {
    const backend = await compose({
      CRM: 'hubspot',
      HUBSPOT_CLIENT_ID: '0b2c7a1e-1111-4222-8333-944455556666',
      HUBSPOT_CLIENT_SECRET: 'y'.repeat(20),
      TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      PUBLIC_BASE_URL: 'https://dialer.example.com',
      REDIS_URL,
      REDIS_KEY_PREFIX: `test-compose-hs-${process.pid}`,
    });
    const res = await request(backend.app).get('/oauth/hubspot/install').expect(302);
    expect(res.headers.location).toMatch(/^https:\/\/app\.hubspot\.com\/oauth\/authorize\?/);
  });

  it('refuses CRM=hubspot without Redis or credentials, naming each variable', () => {
    expect(() => loadEnv({ CRM: 'hubspot', HUBSPOT_CLIENT_SECRET: 'y'.repeat(20) })).toThrow(
      /REDIS_URL: required[\s\S]*HUBSPOT_CLIENT_ID: required[\s\S]*TOKEN_ENCRYPTION_KEY: required/,
    );
    expect(() =>
      loadEnv({
        CRM: 'hubspot',
        HUBSPOT_ACCESS_TOKEN: 'x'.repeat(20),
        HUBSPOT_CLIENT_SECRET: 'y'.repeat(20),
        REDIS_URL,
      }),
    ).toThrow(/HUBSPOT_PORTAL_ID: required with HUBSPOT_ACCESS_TOKEN/);
    expect(() => loadEnv({ TOKEN_ENCRYPTION_KEY: 'short' })).toThrow(
      /TOKEN_ENCRYPTION_KEY: expected 32 random bytes/,
    );
  });
});
