import { describe, it, expect, afterAll } from '@jest/globals';
import request from 'supertest';
import { Router } from 'express';
import { get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createApp, HttpError } from '../../src/http/app.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { applyEvent, emptySnapshot } from '../../src/http/monitor/snapshot.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';

const logger = createLogger({ level: 'silent' });
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

function appWith(extra: Partial<Parameters<typeof createApp>[0]> = {}) {
  const api = Router();
  api.post('/echo', (req, res) => {
    const body = z.object({ name: z.string().min(1) }).parse(req.body);
    res.json(body);
  });
  api.get('/teapot', () => {
    throw new HttpError(418, 'short and stout', { field: 'spout' });
  });
  api.get('/boom', () => {
    throw new Error('secret internals +13055550123');
  });
  return createApp({
    logger,
    metrics: createMetrics(),
    routers: [{ path: '/api', router: api }],
    metricsToken: METRICS_TOKEN,
    ...extra,
  });
}

describe('createApp', () => {
  it('answers liveness and readiness, naming the failed check', async () => {
    const app = appWith({
      healthChecks: {
        redis: async () => 'PONG',
        crm: async () => Promise.reject(new Error('token revoked')),
      },
    });
    await request(app).get('/healthz').expect(200, { ok: true });
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body).toEqual({
      ok: false,
      checks: [
        { name: 'redis', ok: true },
        { name: 'crm', ok: false, error: 'token revoked' },
      ],
    });
    await request(appWith({ healthChecks: { redis: async () => 'PONG' } }))
      .get('/readyz')
      .expect(200);
  });

  it('serves Prometheus metrics including request counts', async () => {
    const app = appWith();
    await request(app).get('/healthz');
    const res = await request(app)
      .get('/metrics')
      .set('Authorization', `Bearer ${METRICS_TOKEN}`)
      .expect(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toContain('autodial_http_requests_total{method="GET",route="/healthz",status="2xx"} 1');
  });

  it('turns every error into JSON { error, details }', async () => {
    const app = appWith();
    await request(app).post('/api/echo').send({ name: 'Ana' }).expect(200, { name: 'Ana' });
    const invalid = await request(app).post('/api/echo').send({ name: '' }).expect(400);
    expect(invalid.body).toEqual({
      error: 'invalid request',
      details: [{ field: 'name', message: expect.any(String) }],
    });
    const malformed = await request(app)
      .post('/api/echo')
      .set('content-type', 'application/json')
      .send('{"name":')
      .expect(400);
    expect(malformed.body.error).toBe('malformed JSON body');
    await request(app)
      .get('/api/teapot')
      .expect(418, { error: 'short and stout', details: { field: 'spout' } });
    await request(app).get('/api/boom').expect(500, { error: 'internal error' });
    await request(app)
      .get('/nope')
      .expect(404, { error: 'not found', details: { method: 'GET', path: '/nope' } });
  });

  describe('monitor', () => {
    const log = new MemoryStore();
    let server: Server | undefined;
    afterAll(async () => {
      if (server) {
        server.closeAllConnections();
        await new Promise((r) => server!.close(r));
      }
      await log.close();
    });

    it('serves the page, the script and a masked snapshot', async () => {
      const snap = applyEvent(emptySnapshot('p'), {
        id: '1-0',
        type: 'attempt.started',
        portalId: 'p',
        campaignId: 'c',
        attemptId: 'a',
        contactId: 'k',
        to: '+13055550123',
        from: '+13055550100',
        attempt: 1,
        dueAt: 5,
        at: 5,
      });
      const app = appWith({ monitor: { eventLog: log, portalId: 'p', snapshot: () => snap } });
      const page = await request(app).get('/monitor').expect(200);
      expect(page.text).toContain('<script src="/monitor/app.js" defer>');
      const script = await request(app).get('/monitor/app.js').expect(200);
      expect(script.text).toContain('function applyEvent');
      const res = await request(app).get('/monitor/snapshot').expect(200);
      expect(res.body.campaigns.c.activeCalls.a.to).toBe('+1305•••••23');
      await request(app).get('/monitor/events?after=DROP%20TABLE').expect(400);
    });

    it('streams events after the given id as server-sent events, numbers masked', async () => {
      const firstId = await log.append('p', {
        type: 'enrollment',
        portalId: 'p',
        campaignId: 'c',
        at: 1,
        enrolled: 2,
        skipped: {},
      });
      const secondId = await log.append('p', {
        type: 'attempt.started',
        portalId: 'p',
        campaignId: 'c',
        attemptId: 'a',
        contactId: 'k',
        to: '+13055550123',
        from: '+13055550100',
        attempt: 1,
        dueAt: 2,
        at: 2,
      });
      const app = appWith({
        monitor: { eventLog: log, portalId: 'p', snapshot: () => emptySnapshot('p'), blockMs: 20 },
      });
      server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server!.once('listening', r));
      const port = (server.address() as AddressInfo).port;
      const body = await new Promise<string>((resolve, reject) => {
        get(
          { port, host: '127.0.0.1', path: '/monitor/events', headers: { 'Last-Event-ID': firstId } },
          (res) => {
            expect(res.headers['content-type']).toMatch(/text\/event-stream/);
            let text = '';
            res.on('data', (chunk: Buffer) => {
              text += chunk.toString();
              if (text.includes(`id: ${secondId}`)) {
                res.destroy();
                resolve(text);
              }
            });
          },
        ).on('error', reject);
      });
      expect(body).not.toContain(`id: ${firstId}`);
      const data = JSON.parse(new RegExp(`id: ${secondId}\nevent: engine\ndata: (.*)\n`).exec(body)![1]!);
      expect(data).toMatchObject({ type: 'attempt.started', to: '+1305•••••23', from: '+1305•••••00' });
    });
  });
});
