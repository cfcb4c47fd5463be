/**
 * Test double for the Autodial API behind `hubspot.fetch`: answers by "METHOD /path" (path after /api/v1),
 * records every request (method, URL, body), and answers 404 with a sentence for anything unrouted so a test
 * cannot pass by accident on a request it did not expect.
 */
import { jest } from '@jest/globals';
import { hubspot } from '@hubspot/ui-extensions';
import { API_BASE } from '../../hubspot/app/lib/config';

export interface RecordedRequest {
  method: string;
  url: string;
  path: string;
  body: unknown;
}

type Reply = { status?: number; body?: unknown } | (() => { status?: number; body?: unknown });

export function json(body: unknown, status = 200) {
  return { status, body };
}

export function apiError(status: number, error: string, details: { path: string; message: string }[] = []) {
  return { status, body: { error, details } };
}

export function fakeBackend(routes: Record<string, Reply> = {}) {
  const requests: RecordedRequest[] = [];
  const table = new Map(Object.entries(routes));
  const spy = jest.spyOn(hubspot, 'fetch').mockImplementation(async (url, options) => {
    const href = String(url);
    const method = options?.method ?? 'GET';
    const path = href.startsWith(API_BASE) ? href.slice(API_BASE.length) : href;
    requests.push({ method, url: href, path, body: options?.body });
    const route = table.get(`${method} ${path}`);
    const reply = typeof route === 'function' ? route() : route;
    if (!reply)
      return new Response(JSON.stringify({ error: `no fake route for ${method} ${path}` }), { status: 404 });
    const status = reply.status ?? 200;
    if (status === 204) return new Response(null, { status });
    return new Response(reply.body === undefined ? '' : JSON.stringify(reply.body), { status });
  });
  return {
    requests,
    spy,
    /** Adds or replaces a route while the test runs (e.g. the call status moving on). */
    route(key: string, reply: Reply) {
      table.set(key, reply);
    },
    /** The requests that were not plain GETs: what the user's clicks sent. */
    writes() {
      return requests.filter((r) => r.method !== 'GET');
    },
    /** Makes every request reject as if the network failed. */
    failNetwork(message: string) {
      spy.mockImplementation(async () => {
        throw new Error(message);
      });
    },
  };
}
