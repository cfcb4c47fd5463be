/**
 * Socket limits of the HTTP server, chosen for webhook callers: HubSpot gives up after 5 s and Twilio after 15 s,
 * so a client that takes longer than that to send its headers or its body is not one we can serve, only one
 * that holds a socket. Live monitor streams are long responses, not long requests, so they are not cut.
 */
import type { Server } from 'node:http';

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
  // Node checks the two request timeouts on this period; a shorter one cuts slow senders closer to the limit.
  server.maxHeadersCount = 100;
}
