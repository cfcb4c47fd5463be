/**
 * The HTTP surface as an outsider meets it (issue 10 findings 3, 4, 7): security headers, the Host check in
 * production, bodies parsed only where taken with depth and size limits (4xx with a reason, never 5xx), Twilio's
 * signature checked over the raw form before anything is parsed, metric labels bounded by the routes, and the
 * server's socket timeouts.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { Router } from 'express';
import request from 'supertest';
import { loadEnv } from '../../src/config/env.js';
import { composeBackend, type Backend } from '../../src/app/compose.js';
import { createApp } from '../../src/http/app.js';
import { jsonDepthExceeds } from '../../src/http/body.js';
import { WEBHOOK_SERVER_TIMEOUTS, createWebhookServer } from '../../src/http/server-timeouts.js';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';

const logger = createLogger({ level: 'silent' });
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const opened: Backend[] = [];
afterAll(async () => {
  for (const b of opened) await b.close();
});

async function twilioBackend(extra: Record<string, string> = {}) {
  const backend = await composeBackend(
    loadEnv({
      TELEPHONY: 'twilio',
      TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'a'.repeat(32),
      PUBLIC_BASE_URL: 'https://dialer.example.com',
      METRICS_TOKEN,
      ...extra,
    }),
    { logger },
  );
  opened.push(backend);
  return backend;
}

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

async function metricsText(backend: Backend, host = '127.0.0.1') {
  const res = await request(backend.app)
    .get('/metrics')
    .set('Host', host)
    .set('Authorization', `Bearer ${METRICS_TOKEN}`)
    .expect(200);
  return res.text;
}

describe('security headers and hosts', () => {
  it('sets CSP, nosniff, frame-ancestors and Referrer-Policy; HSTS only in production', async () => {
    const dev = await twilioBackend();
    const res = await request(dev.app).get('/healthz').expect(200);
    expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['strict-transport-security']).toBeUndefined();
    const prod = await twilioBackend({ NODE_ENV: 'production' });
    const secure = await request(prod.app).get('/healthz').set('Host', 'dialer.example.com').expect(200);
    expect(secure.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  });

  it('in production answers only for the public host (probes excepted)', async () => {
    const prod = await twilioBackend({ NODE_ENV: 'production' });
    const res = await request(prod.app).get('/metrics').set('Host', 'evil.example.net').expect(421);
    expect(res.body.error).toMatch(/public host/);
    await request(prod.app).get('/healthz').set('Host', '10.0.0.7:3000').expect(200);
    await metricsText(prod, 'dialer.example.com');
  });

  it('trusts X-Forwarded-For only through the configured proxy hops', async () => {
    const whoami = Router();
    whoami.get('/ip', (req, res) => {
      res.json({ ip: req.ip });
    });
    const mk = (hops: number) =>
      createApp({
        logger,
        metrics: createMetrics(),
        trustProxyHops: hops,
        routers: [{ path: '/who', router: whoami }],
      });
    const direct = await request(mk(0)).get('/who/ip').set('X-Forwarded-For', '203.0.113.9').expect(200);
    expect(direct.body.ip).not.toBe('203.0.113.9');
    const proxied = await request(mk(1))
      .get('/who/ip')
      .set('X-Forwarded-For', '198.51.100.1, 203.0.113.9')
      .expect(200);
    expect(proxied.body.ip).toBe('203.0.113.9');
  });

  it("cuts a client that stalls its body, within the webhook callers' patience", async () => {
    expect(WEBHOOK_SERVER_TIMEOUTS.headersTimeoutMs).toBeLessThanOrEqual(5_000);
    expect(WEBHOOK_SERVER_TIMEOUTS.requestTimeoutMs).toBeLessThan(15_000);
    const api = Router();
    api.post('/x', (_req, res) => {
      res.json({ ok: true });
    });
    const app = createApp({ logger, metrics: createMetrics(), routers: [{ path: '/api', router: api }] });
    const server = createWebhookServer(app, {
      headersTimeoutMs: 300,
      requestTimeoutMs: 400,
      keepAliveTimeoutMs: 200,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          'POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
        );
      });
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(5_000);
    await new Promise((r) => server.close(r));
  });
});

describe('bodies', () => {
  it('measures nesting without recursion, ignoring brackets inside strings', () => {
    expect(jsonDepthExceeds(nested(17), 16)).toBe(true);
    expect(jsonDepthExceeds(nested(16), 16)).toBe(false);
    expect(jsonDepthExceeds(`{"a":"${'['.repeat(100)}"}`, 16)).toBe(false);
    expect(jsonDepthExceeds(`{"a":"\\"[[[["}`, 2)).toBe(false);
    expect(jsonDepthExceeds(nested(200_000), 16)).toBe(true);
  });

  it('deeply nested JSON is a 400 with a reason on a JSON route, and too large a 413', async () => {
    const api = Router();
    api.post('/echo', (req, res) => {
      res.json({ got: typeof req.body });
    });
    const app = createApp({ logger, metrics: createMetrics(), routers: [{ path: '/api', router: api }] });
    const deep = await request(app).post('/api/echo').type('json').send(nested(5000)).expect(400);
    expect(deep.body.error).toMatch(/nested deeper than 16 levels/);
    const big = await request(app)
      .post('/api/echo')
      .type('json')
      .send(`"${'x'.repeat(300_000)}"`)
      .expect(413);
    expect(big.body.error).toBe('request body too large');
    // Routes that take no body never parse one.
    await request(app).post('/healthz').type('json').send(nested(5000)).expect(404);
  });

  it('an unsigned Twilio webhook with ~5,000 levels of nesting and a signature header is a 403, not a 500', async () => {
    const backend = await twilioBackend();
    for (const type of ['json', 'form'] as const) {
      const body = type === 'json' ? nested(5000) : `a${'[a]'.repeat(5000)}=1`;
      await request(backend.app)
        .post('/twilio/status?attemptId=a1')
        .type(type)
        .set('X-Twilio-Signature', 'bm90LWEtc2lnbmF0dXJl')
        .send(body)
        .expect(403);
    }
    await request(backend.app)
      .post('/twilio/status')
      .type('form')
      .set('X-Twilio-Signature', 'x')
      .send('a='.padEnd(70_000, 'x'))
      .expect(413);
  });
});

describe('metric labels', () => {
  it('random paths do not grow the series: unknown paths share one label', async () => {
    const backend = await twilioBackend();
    const series = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#')).length;
    const hit = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const junk = Math.random().toString(36).slice(2);
        await request(backend.app).post(`/twilio/${junk}`).set('X-Twilio-Signature', 'x').send('a=1');
        await request(backend.app).get(`/${junk}/x`);
        await request(backend.app).post(`/twilio/twiml/${junk}?attemptId=a`).set('X-Twilio-Signature', 'x');
      }
    };
    await hit(3);
    await metricsText(backend); // the scrape itself is a series too
    const before = series(await metricsText(backend));
    await hit(200);
    const after = await metricsText(backend);
    expect(series(after)).toBe(before);
    expect(after).not.toMatch(/route="\/twilio\/[a-z0-9]{6,}"/);
    expect(after).toContain('route="unmatched"');
  });
});

describe('logs of rejected requests', () => {
  it('the request log and the signature warning never carry a URL-encoded number', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const backend = await composeBackend(
      loadEnv({
        TELEPHONY: 'twilio',
        TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
        TWILIO_AUTH_TOKEN: 'a'.repeat(32),
        PUBLIC_BASE_URL: 'https://dialer.example.com',
      }),
      { logger: createLogger({ level: 'info', destination }) },
    );
    opened.push(backend);
    await request(backend.app)
      .post('/twilio/status?attemptId=a1&To=%2B12125550199&From=%252B13055550123')
      .set('X-Twilio-Signature', 'forged')
      .type('form')
      .send('To=%2B12125550199')
      .expect(403);
    await new Promise((r) => setImmediate(r));
    const text = lines.join('');
    expect(text).toContain('rejected a Twilio webhook');
    expect(text).toContain('http request');
    expect(decodeURIComponent(decodeURIComponent(text))).not.toMatch(/5550199|5550123/);
  });
});
