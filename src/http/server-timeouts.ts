/**
 * Socket limits of the HTTP server, chosen for webhook callers: HubSpot gives up after 5 s and Twilio after 15 s,
 * so a client that takes longer than that to send its headers or its body is not one we can serve, only one
 * that holds a socket. Live monitor streams are long responses, not long requests, so they are not cut.
 */
import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';

export interface ServerTimeouts {
  /** Time to receive the request headers. */
  headersTimeoutMs: number;
  /** Time to receive the whole request, body included. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
}

export const WEBHOOK_SERVER_TIMEOUTS: ServerTimeouts = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
};

export function applyServerTimeouts(
  server: Server,
  timeouts: ServerTimeouts = WEBHOOK_SERVER_TIMEOUTS,
): void {
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  server.maxHeadersCount = 100;
}

/**
 * An HTTP server with these limits. Node checks the request timeouts on a period (30 s by default, longer than
 * the limits themselves); it is set here to a fraction of the shortest limit.
 */
export function createWebhookServer(
  handler: RequestListener,
  timeouts: ServerTimeouts = WEBHOOK_SERVER_TIMEOUTS,
): Server {
  const period = Math.max(50, Math.floor(Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs) / 4));
  const server = createServer({ connectionsCheckingInterval: period }, handler);
  applyServerTimeouts(server, timeouts);
  return server;
}
