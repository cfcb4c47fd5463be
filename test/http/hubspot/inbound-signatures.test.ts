/**
 * Both HubSpot inbound endpoints, mounted through the backend's createApp as the composition root mounts them:
 * valid, tampered body, tampered URL, stale timestamp and missing headers. Nothing changes on a refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Express } from 'express';
import { BASE, P, SECRET, inboundApp, inboundHarness } from '../../crm/hubspot/inbound/fixtures.js';
import type { InboundHarness } from '../../crm/hubspot/inbound/fixtures.js';
import { v2Headers, v3Headers } from './signing.js';

const WEBHOOKS = '/hubspot/webhooks';
const WORKFLOW = '/hubspot/workflow-actions/place-call';

const bodies: Record<string, string> = {
  [WEBHOOKS]: JSON.stringify([
    {
      eventId: 1,
      subscriptionId: 1,
      portalId: Number(P),
      appId: 1,
      occurredAt: 1,
      subscriptionType: 'contact.propertyChange',
      attemptNumber: 0,
      objectId: 777,
      propertyName: 'autodial_do_not_call',
      propertyValue: 'true',
      changeSource: 'CRM_UI',
    },
  ]),
  [WORKFLOW]: JSON.stringify({
    callbackId: 'cb-sig',
    origin: { portalId: Number(P) },
    object: { objectId: 778, objectType: 'CONTACT' },
    inputFields: { phoneNumber: '+12125550778', messageText: 'Hello', retryPolicy: 'none' },
  }),
};

describe.each([WEBHOOKS, WORKFLOW])('signatures on %s', (path) => {
  let h: InboundHarness;
  let app: Express;
  beforeAll(async () => {
    h = await inboundHarness('hssig');
    app = inboundApp(h);
  });
  afterAll(() => h.close());

  const body = bodies[path]!;
  const url = `${BASE}${path}`;
  const post = (headers: Record<string, string>, sent = body, to = path) =>
    request(app).post(to).set(headers).set('content-type', 'application/json').send(sent);

  it.each([
    ['a tampered body', () => post(v3Headers({ secret: SECRET, method: 'POST', url, body }), `${body} `)],
    [
      'a tampered URL',
      () => post(v3Headers({ secret: SECRET, method: 'POST', url: `${url}?portalId=1`, body })),
    ],
    [
      'a stale timestamp',
      () => post(v3Headers({ secret: SECRET, method: 'POST', url, body, timestamp: Date.now() - 301_000 })),
    ],
    ['missing headers', () => post({})],
    [
      'another secret',
      () => post(v3Headers({ secret: 'another-secret-0123456', method: 'POST', url, body })),
    ],
    [
      'a v2 signature of another body',
      () => post(v2Headers({ secret: SECRET, method: 'POST', url, body: '[]' })),
    ],
  ])('refuses %s with 401 and changes nothing', async (_name, send) => {
    const res = await send();
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/signature|timestamp/i);
    expect(await h.dump()).toBe('');
  });

  it('accepts a valid v3 signature', async () => {
    const res = await post(v3Headers({ secret: SECRET, method: 'POST', url, body }));
    expect(res.status).toBe(200);
    expect(await h.dump()).not.toBe('');
  });

  it(
    path === WORKFLOW ? 'accepts a valid v2 signature (custom actions)' : 'refuses v2 (webhooks are v3 only)',
    async () => {
      const res = await post(v2Headers({ secret: SECRET, method: 'POST', url, body }));
      expect(res.status).toBe(path === WORKFLOW ? 200 : 401);
    },
  );
});
