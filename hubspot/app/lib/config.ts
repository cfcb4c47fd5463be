/**
 * The one place the backend's public address lives. It must also be listed in `app-hsmeta.json`'s
 * `permittedUrls.fetch` (the project check test holds the two together), because HubSpot refuses any other URL.
 */
export const BACKEND_URL = 'https://autodial.example';

/** Every card and page request goes to the versioned API. */
export const API_BASE = `${BACKEND_URL}/api/v1`;

/** How often a running call's status is polled (cards have no server-sent events). */
export const CALL_POLL_MS = 2000;

/** How often the campaign live view refreshes. */
export const LIVE_POLL_MS = 5000;
