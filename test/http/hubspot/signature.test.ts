import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import {
  hubspotSigned,
  jsonDepth,
  signedCaller,
  verifyHubSpotSignature,
} from '../../../src/http/hubspot/signature.js';
import { v2Headers, v3Headers } from './signing.js';

const SECRET = 'client-secret-0123456789';
const BASE = 'https://dialer.example.com';

function app(versions: ('v2' | 'v3')[] = ['v3']) {
  const a = express();
  a.all(
    '/api/echo',
    ...hubspotSigned({ clientSecret: SECRET, publicBaseUrl: BASE, versions, maxDepth: 8 }),
    (req, res) => {
      res.json({ body: req.body ?? null, caller: signedCaller(res) ?? null });
    },
  );
  return a;
}

const PATH = '/api/echo?portalId=123&userId=7&userEmail=rep%40example.com';

describe('HubSpot signatures (SDK Signature.isValid)', () => {
  it('accepts a valid v3 POST and exposes the signed caller', async () => {
    const body = JSON.stringify({ a: 1 });
    const res = await request(app())
      .post(PATH)
      .set(v3Headers({ secret: SECRET, method: 'POST', url: `${BASE}${PATH}`, body }))
      .set('content-type', 'application/json')
      .send(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      body: { a: 1 },
      caller: { portalId: '123', userId: '7', userEmail: 'rep@example.com' },
    });
  });

  it('accepts the URL signed with %40 decoded (HubSpot decodes some characters before hashing)', async () => {
    const res = await request(app())
      .get(PATH)
      .set(v3Headers({ secret: SECRET, method: 'GET', url: `${BASE}${PATH.replace('%40', '@')}` }));
    expect(res.status).toBe(200);
  });

  it.each([
    ['a tampered body', { body: '{"a":2}' }],
    ['a tampered URL', { url: `${BASE}/api/echo?portalId=999&userId=7` }],
    ['another secret', { secret: 'other-secret-0123456789' }],
    ['the wrong method', { method: 'GET' }],
  ])('rejects %s with 401', async (_name, override) => {
    const headers = v3Headers({
      secret: SECRET,
      method: 'POST',
      url: `${BASE}${PATH}`,
      body: '{"a":1}',
      ...override,
    });
    const res = await request(app())
      .post(PATH)
      .set(headers)
      .set('content-type', 'application/json')
      .send('{"a":1}');
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/signature/i);
  });

  it('rejects a stale timestamp with 401, not 500 (the SDK throws)', async () => {
    const headers = v3Headers({
      secret: SECRET,
      method: 'GET',
      url: `${BASE}${PATH}`,
      timestamp: Date.now() - 301_000,
    });
    const res = await request(app()).get(PATH).set(headers);
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/timestamp/);
  });

  it('rejects a timestamp from the future', async () => {
    const headers = v3Headers({
      secret: SECRET,
      method: 'GET',
      url: `${BASE}${PATH}`,
      timestamp: Date.now() + 600_000,
    });
    expect((await request(app()).get(PATH).set(headers)).status).toBe(401);
  });

  it('rejects missing headers and a malformed timestamp', async () => {
    expect((await request(app()).get(PATH)).status).toBe(401);
    const headers = v3Headers({ secret: SECRET, method: 'GET', url: `${BASE}${PATH}` });
    headers['X-HubSpot-Request-Timestamp'] = 'yesterday';
    expect((await request(app()).get(PATH).set(headers)).status).toBe(401);
  });

  it('accepts v2 only where the route allows it', async () => {
    const body = '{"callbackId":"ap-1"}';
    const headers = v2Headers({ secret: SECRET, method: 'POST', url: `${BASE}/api/echo`, body });
    const send = (versions: ('v2' | 'v3')[]) =>
      request(app(versions))
        .post('/api/echo')
        .set(headers)
        .set('content-type', 'application/json')
        .send(body);
    expect((await send(['v3'])).status).toBe(401);
    const ok = await send(['v3', 'v2']);
    expect(ok.status).toBe(200);
    expect(ok.body.caller).toBeNull();
  });

  it('checks the signature before parsing: a deep unsigned body is a 401, a deep signed one a 400', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const unsigned = await request(app())
      .post(PATH)
      .set('X-HubSpot-Signature-v3', 'x')
      .set('X-HubSpot-Request-Timestamp', String(Date.now()))
      .set('content-type', 'application/json')
      .send(deep);
    expect(unsigned.status).toBe(401);
    const signed = await request(app())
      .post(PATH)
      .set(v3Headers({ secret: SECRET, method: 'POST', url: `${BASE}${PATH}`, body: deep }))
      .set('content-type', 'application/json')
      .send(deep);
    expect(signed.status).toBe(400);
    expect(signed.body.error).toMatch(/nested deeper/);
  });

  it('a signed malformed JSON body is a 400', async () => {
    const body = '{"a":';
    const res = await request(app())
      .post(PATH)
      .set(v3Headers({ secret: SECRET, method: 'POST', url: `${BASE}${PATH}`, body }))
      .set('content-type', 'application/json')
      .send(body);
    expect(res.status).toBe(400);
  });

  it('never throws on odd input', () => {
    const verdict = verifyHubSpotSignature({
      clientSecret: SECRET,
      method: 'GET',
      url: `${BASE}/x`,
      rawBody: '',
      headers: { 'x-hubspot-signature-v3': ['a', 'b'], 'x-hubspot-request-timestamp': String(Date.now()) },
      versions: ['v3'],
    });
    expect(verdict.ok).toBe(false);
  });

  it('measures JSON depth without parsing, ignoring brackets inside strings', () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[["}]}')).toBe(3);
    expect(jsonDepth('"\\"["')).toBe(0);
    expect(jsonDepth('[]')).toBe(1);
  });
});
