/**
 * The one place a HubSpot SDK `Client` is built. Every client shares one keep-alive `https.Agent`: it pools TLS
 * connections to api.hubapi.com, and it is also what routes the SDK through `https.request` (without an agent
 * the SDK 14 uses the global `fetch`, which nock 13 cannot intercept in tests).
 *
 * The SDK's own Bottleneck limiter and retry decorator are OFF, on purpose: our per-portal limiter
 * (rate-limiter.ts) is shared by every process through Redis and knows the interactive/bulk priorities, and our
 * gateway (gateway.ts) waits out 429s by their policy and Retry-After. A second, per-process limiter would
 * throttle below our budget in one process while ignoring the others, and the SDK's retries would re-send a
 * request behind our back (a retried batch create is exactly how a call gets logged twice). Beware: the SDK
 * installs its decorators in a process-wide singleton on every `new Client()`, so a single client built
 * elsewhere with `limiterOptions` or `numberOfApiCallRetries` would switch them on for all clients; build
 * clients only here.
 */
import https from 'node:https';
import { Client } from '@hubspot/api-client';
import {
  HttpMethod,
  RequestContext,
  createConfiguration,
} from '@hubspot/api-client/lib/codegen/crm/objects/calls/index.js';

export const HUBSPOT_API_BASE = 'https://api.hubapi.com';

/** Pooled connections for every client of this process. */
export const hubspotAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });

export interface HubSpotClientOptions {
  accessToken?: string;
  /** Tests and the bench point this at a nock'd host; defaults to https://api.hubapi.com. */
  basePath?: string;
  agent?: https.Agent;
}

export function createHubSpotClient(options: HubSpotClientOptions = {}): Client {
  return new Client({
    ...(options.accessToken ? { accessToken: options.accessToken } : {}),
    ...(options.basePath ? { basePath: options.basePath } : {}),
    httpAgent: options.agent ?? hubspotAgent,
    // 0 = no SDK retry decorator (see the header); no `limiterOptions` = no SDK Bottleneck limiter.
    numberOfApiCallRetries: 0,
  });
}

/** An HTTP error from HubSpot as the SDK reports it (`ApiException`): status, parsed body, headers. */
export interface HubSpotHttpError {
  code: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function asHubSpotHttpError(error: unknown): HubSpotHttpError | undefined {
  const e = error as { code?: unknown; body?: unknown; headers?: unknown } | null;
  if (!e || typeof e.code !== 'number' || e.code < 100 || e.code > 599) return undefined;
  return {
    code: e.code,
    body: parseBody(e.body),
    headers: (e.headers as Record<string, string> | undefined) ?? {},
  };
}

function parseBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

/**
 * A GET of an endpoint the SDK has no typed API for (e.g. `/calling/v1/dispositions`), sent through the SDK's
 * own HTTP library with our agent. (`client.apiRequest` would go through the global `fetch`, unpooled and
 * invisible to nock.) Throws a `HubSpotHttpError`-shaped error for non-2xx answers.
 */
export async function sdkGetJson(
  path: string,
  options: { accessToken: string; basePath?: string; agent?: https.Agent },
): Promise<unknown> {
  const configuration = createConfiguration();
  const context = new RequestContext(`${options.basePath ?? HUBSPOT_API_BASE}${path}`, HttpMethod.GET);
  context.setAgent(options.agent ?? hubspotAgent);
  context.setHeaderParam('Authorization', `Bearer ${options.accessToken}`);
  context.setHeaderParam('Accept', 'application/json');
  const response = await configuration.httpApi.send(context).toPromise();
  const text = await response.body.text();
  const body = parseBody(text);
  if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
    throw Object.assign(new Error(`HubSpot GET ${path} answered ${response.httpStatusCode}`), {
      code: response.httpStatusCode,
      body,
      headers: response.headers,
    });
  }
  return body;
}
