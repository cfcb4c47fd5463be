/**
 * Fuzzing every route (issue 10): methods, bodies, depth, size, encodings, paths, signatures and hosts, from a
 * fixed seed and a bounded count. No request may get a 5xx or go unanswered, the process keeps serving, and
 * metric labels stay route templates.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import request from 'supertest';
import { loadEnv } from '../../src/config/env.js';
import { composeBackend, type Backend } from '../../src/app/compose.js';
import { createLogger } from '../../src/observability/logger.js';
import { runSurfaceFuzz } from '../../src/cli/surface-fuzz.js';

const PUBLIC = 'https://dialer.example.com';
const AUTH_TOKEN = 'a'.repeat(32);
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const twilioEnv = {
  TELEPHONY: 'twilio',
  TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: AUTH_TOKEN,
  PUBLIC_BASE_URL: PUBLIC,
  METRICS_TOKEN,
};

const opened: Backend[] = [];
afterAll(async () => {
  for (const b of opened) await b.close();
  nock.enableNetConnect();
});

/** Route labels the app may report: templates of mounted routes, and one for everything else. */
const KNOWN_ROUTES =
  /^(unmatched|\/healthz|\/readyz|\/metrics|\/monitor\/(app\.js|snapshot|events)?|\/auth\/(login|hubspot\/callback|logout)|\/twilio\/(status|amd|gather|recording|twiml\/:flow|dial-action|whisper))$/;

async function fuzz(env: Record<string, string>, host: string, seed: number) {
  const backend = await composeBackend(loadEnv(env), { logger: createLogger({ level: 'silent' }) });
  opened.push(backend);
  await backend.start();
  const port = await backend.listen(0, '127.0.0.1');
  const outcome = await runSurfaceFuzz(
    { port, host, publicBaseUrl: PUBLIC, twilioAuthToken: AUTH_TOKEN },
    { count: 300, seed },
  );
  expect(outcome.failures).toEqual([]);
  expect(outcome.status5xx).toBe(0);
  expect(outcome.noAnswer).toBe(0);
  expect(outcome.requests).toBe(300);
  // Still serving, and every metric label is a route template.
  await request(backend.app).get('/healthz').set('Host', host).expect(200);
  const metrics = await request(backend.app)
    .get('/metrics')
    .set('Host', host)
    .set('Authorization', `Bearer ${METRICS_TOKEN}`)
    .expect(200);
  const routes = new Set([...metrics.text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]!));
  for (const route of routes) expect(route).toMatch(KNOWN_ROUTES);
  return outcome;
}

describe('fuzzing the HTTP surface', () => {
  it('development (open monitor on loopback, Twilio webhooks): no 5xx, no crash', async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    await fuzz(twilioEnv, '127.0.0.1', 20261204);
  }, 120_000);

  it('production (sign-in, Host check): no 5xx, no crash', async () => {
    await fuzz(
      {
        ...twilioEnv,
        NODE_ENV: 'production',
        HUBSPOT_CLIENT_ID: '0b7c1d2e-1111-2222-3333-444455556666',
        HUBSPOT_CLIENT_SECRET: 'client-secret-0123456789',
        SESSION_SECRET: 'session-secret-0123456789-0123456789-abcdef',
      },
      'dialer.example.com',
      42,
    );
  }, 120_000);
});
