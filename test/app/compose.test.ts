/**
 * The composition root, as `npm start` builds it, without a port: the in-process store and the simulated carrier
 * answer every probe; a Redis unreachable at start-up stops it (naming REDIS_URL), and one that goes away later
 * makes readiness fail and name redis.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import request from 'supertest';
import { loadEnv } from '../../src/config/env.js';
import { composeBackend, UnsupportedConfigError } from '../../src/app/compose.js';
import type { Backend } from '../../src/app/compose.js';
import { createLogger } from '../../src/observability/logger.js';
import { RedisUnavailableError } from '../../src/engine/store/redis/connection.js';
import { CuttableProxy } from '../engine/fixtures/cuttable-proxy.js';
import { REDIS_URL } from '../engine/redis-helpers.js';

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

describe('composeBackend', () => {
  it('on embedded defaults serves health, readiness, metrics and the monitor', async () => {
    const backend = await compose({});
    await backend.start();
    expect(backend.simulator).not.toBeNull();
    expect(backend.localCrm).not.toBeNull();
    const { app } = backend;
    await request(app).get('/healthz').expect(200, { ok: true });
    await request(app).get('/readyz').expect(200, { ok: true, checks: [] });
    await request(app).get('/monitor').expect(200).expect('content-type', /html/);
    const snapshot = await request(app).get('/monitor/snapshot').expect(200);
    expect(snapshot.body.portalId).toBe('0');
    const metrics = await request(app).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^# HELP autodial_dials_total/m);
    expect(metrics.text).toContain(
      'autodial_http_requests_total{method="GET",route="/readyz",status="2xx"} 1',
    );
    // No Twilio router without TELEPHONY=twilio.
    await request(app).post('/twilio/status').expect(404);
  });

  it('hides /metrics when METRICS_ENABLED=false', async () => {
    const backend = await compose({ METRICS_ENABLED: 'false' });
    await request(backend.app).get('/metrics').expect(404);
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
    expect(res.body.checks).toEqual([{ name: 'redis', ok: false, error: expect.any(String) }]);
    await request(backend.app).get('/healthz').expect(200);
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

  it('refuses CRM=hubspot with a clear message instead of a stub', async () => {
    await expect(
      composeBackend(
        loadEnv({
          CRM: 'hubspot',
          HUBSPOT_ACCESS_TOKEN: 'x'.repeat(20),
          HUBSPOT_CLIENT_SECRET: 'y'.repeat(20),
        }),
        { logger },
      ),
    ).rejects.toThrow(UnsupportedConfigError);
  });
});
