/** Shared wiring for the API tests: the real app, engine and services over a store, signed requests via the SDK. */
import request from 'supertest';
import type { Express } from 'express';
import { CampaignService } from '../../../src/engine/campaigns.js';
import { Engine } from '../../../src/engine/dialer.js';
import type { Store } from '../../../src/engine/store/store.js';
import { createApp } from '../../../src/http/app.js';
import { createApiRouter, createOpenApiRouter } from '../../../src/http/api/index.js';
import type { ApiDeps } from '../../../src/http/api/deps.js';
import {
  CrmListEnrollment,
  MemoryAccountDefaults,
  MemoryAgentPresence,
  MemoryContactDirectory,
  StaticDispositions,
} from '../../../src/http/api/local-adapters.js';
import { StaticRoleDirectory } from '../../../src/http/api/roles.js';
import type { RoleDirectory } from '../../../src/http/api/roles.js';
import { LocalSampleCrm } from '../../../src/crm/local-sample-crm.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import {
  MONDAY_2PM_NY,
  ManualClock,
  RecordingTelephony,
  generousLimits,
} from '../../engine/fixtures/harness.js';
import { v3Headers } from '../hubspot/signing.js';

export const SECRET = 'api-client-secret-0123456789';
export const BASE = 'https://dialer.example.com';
export const CALLER_ID = '+12125550000';
export const REP_PHONE = '+12125557777';

/** Zones by area code: 212 New York, 305 Florida (Miami), anything else New York. */
export const zonesByAreaCode = {
  candidateZones: async (e164: string) =>
    e164.startsWith('+1305')
      ? ['America/New_York']
      : e164.startsWith('+1415')
        ? ['America/Los_Angeles']
        : ['America/New_York'],
};

export interface ApiHarness {
  app: Express;
  deps: ApiDeps;
  clock: ManualClock;
  store: Store;
  campaigns: CampaignService;
  engine: Engine;
  telephony: RecordingTelephony;
  roles: StaticRoleDirectory;
  contacts: MemoryContactDirectory;
  accounts: MemoryAccountDefaults;
  crm: LocalSampleCrm;
  lists: CrmListEnrollment;
}

export function apiHarness(
  store: Store,
  options: { roles?: RoleDirectory; clock?: ManualClock } = {},
): ApiHarness {
  const clock = options.clock ?? new ManualClock(MONDAY_2PM_NY);
  const accounts = new MemoryAccountDefaults({ callerIds: [CALLER_ID] });
  const campaigns = new CampaignService({
    store,
    clock,
    zones: zonesByAreaCode,
    random: () => 0,
    account: (p) => accounts.settingsOf(p),
  });
  const telephony = new RecordingTelephony(clock);
  const engine = new Engine({
    store,
    telephony,
    clock,
    campaigns,
    zones: zonesByAreaCode,
    random: () => 0,
    limits: generousLimits,
  });
  const roles = new StaticRoleDirectory();
  const contacts = new MemoryContactDirectory();
  const crm = new LocalSampleCrm({ pageSize: 50 });
  const lists = new CrmListEnrollment({ crmOf: () => crm, campaigns });
  const deps: ApiDeps = {
    clientSecret: SECRET,
    publicBaseUrl: BASE,
    store,
    campaigns,
    engine,
    clock,
    zones: zonesByAreaCode,
    roles: options.roles ?? roles,
    accounts,
    contacts,
    lists,
    agents: new MemoryAgentPresence(),
    dispositions: new StaticDispositions(),
    accountStatus: async () => ({
      twilio: { connected: false, detail: 'simulated carrier' },
      hubspot: { connected: true, scopes: ['crm.objects.contacts.read'] },
    }),
  };
  const app = createApp({
    logger: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
    routers: [
      { path: '/api/openapi.json', router: createOpenApiRouter() },
      // hubspotSigned reads the raw body itself: the signature covers the exact bytes
      { path: '/api/v1', router: createApiRouter(deps), body: 'none' },
    ],
  });
  return { app, deps, clock, store, campaigns, engine, telephony, roles, contacts, accounts, crm, lists };
}

export interface Who {
  portalId: string;
  userId: string;
  userEmail?: string;
}

/** The URL HubSpot would call: the path plus the identity query parameters it appends. */
export function signedPath(path: string, who: Who): string {
  const q = new URLSearchParams({ portalId: who.portalId, userId: who.userId });
  if (who.userEmail) q.set('userEmail', who.userEmail);
  return `${path}${path.includes('?') ? '&' : '?'}${q.toString()}`;
}

/** A v3-signed request from a card of `who`, as hubspot.fetch sends it. */
export function call(
  app: Express,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  who: Who,
  body?: unknown,
) {
  const url = signedPath(`/api/v1${path}`, who);
  const raw = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const headers = v3Headers({ secret: SECRET, method, url: `${BASE}${url}`, body: raw });
  const agent = request(app);
  const req =
    method === 'GET'
      ? agent.get(url)
      : method === 'POST'
        ? agent.post(url)
        : method === 'PUT'
          ? agent.put(url)
          : method === 'PATCH'
            ? agent.patch(url)
            : agent.delete(url);
  req.set(headers);
  if (raw !== '') req.set('content-type', 'application/json').send(raw);
  return req;
}

/** A valid message campaign (no connect-to target needed). */
export function campaignBody(name = 'Reminders') {
  return {
    name,
    callerIds: [CALLER_ID],
    dialMode: { mode: 'message' },
    message: { say: 'Your appointment is tomorrow' },
    amd: { detection: 'off', onMachine: 'hangup' },
    retry: { strategy: 'intervals', delaysMinutes: [60], maxAttempts: 3, maxRetryDays: 7, minGapMinutes: 30 },
  };
}

export const MANAGER: Who = { portalId: '101', userId: '1', userEmail: 'boss@example.com' };
export const REP: Who = { portalId: '101', userId: '2' };

export function grantManager(h: ApiHarness, who: Who = MANAGER) {
  h.roles.set(who.portalId, who.userId, { superAdmin: true, teamIds: [] });
}
