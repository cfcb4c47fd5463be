/**
 * Composition of the card API (`/api/v1`, `/api/openapi.json`): which adapter serves each of its ports in this
 * deployment. Kept out of compose.ts so that file only decides whether to mount it.
 */
import type { Env } from '../config/env.js';
import type { Crm } from '../crm/crm.js';
import type { HubSpotAdapter } from '../crm/hubspot/adapter.js';
import type { LocalSampleCrm } from '../crm/local-sample-crm.js';
import type { CampaignService, ZoneLookup } from '../engine/campaigns.js';
import type { Engine } from '../engine/dialer.js';
import type { Store } from '../engine/store/store.js';
import type { RouterMount } from '../http/app.js';
import { createApiRouter, createOpenApiRouter } from '../http/api/index.js';
import {
  CrmListEnrollment,
  LocalCrmContactDirectory,
  MemoryAgentPresence,
  StaticDispositions,
} from '../http/api/local-adapters.js';
import type { AccountDefaultsRepository } from '../http/api/ports.js';
import { HubSpotRoleDirectory, StaticRoleDirectory } from '../http/api/roles.js';
import type { RoleDirectory } from '../http/api/roles.js';
import type { MonitorSnapshot } from '../http/monitor/snapshot.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../shared/clock.js';

export interface CardApiDeps {
  env: Env;
  /** The portal of HUBSPOT_PORTAL_ID (static-token and local modes). */
  portalId: string;
  store: Store;
  campaigns: CampaignService;
  engine: Engine;
  clock: Clock;
  zones: ZoneLookup;
  accounts: AccountDefaultsRepository;
  localCrm: LocalSampleCrm | null;
  hubspot: HubSpotAdapter | null;
  /** The Crm of the one portal in static-token and local modes. */
  crm: Crm;
  /** OAuth mode: the portals served now. */
  servedPortals: (() => readonly string[]) | null;
  twilioConfigured: boolean;
  activity: () => MonitorSnapshot;
  logger: Logger;
  roles?: RoleDirectory;
}

/** The OpenAPI document always; the signed API when HubSpot can sign requests to it. */
export function cardApiRouters(d: CardApiDeps): RouterMount[] {
  const mounts: RouterMount[] = [{ path: '/api/openapi.json', router: createOpenApiRouter() }];
  const { env } = d;
  if (!env.HUBSPOT_CLIENT_SECRET || !env.PUBLIC_BASE_URL) return mounts;
  const token = env.HUBSPOT_ACCESS_TOKEN;
  const served = d.servedPortals;
  const api = createApiRouter({
    clientSecret: env.HUBSPOT_CLIENT_SECRET,
    publicBaseUrl: env.PUBLIC_BASE_URL,
    store: d.store,
    campaigns: d.campaigns,
    engine: d.engine,
    clock: d.clock,
    zones: d.zones,
    roles:
      d.roles ??
      (token ? new HubSpotRoleDirectory({ accessToken: async () => token }) : new StaticRoleDirectory()),
    accounts: d.accounts,
    contacts: new LocalCrmContactDirectory(d.portalId, d.localCrm ?? d.hubspot!.crmFor(d.portalId)),
    lists: new CrmListEnrollment({
      // OAuth: every portal served now (an uninstalled one has no token to read its lists with)
      crmOf: (p) =>
        served ? (served().includes(p) ? d.hubspot!.crmFor(p) : null) : p === d.portalId ? d.crm : null,
      campaigns: d.campaigns,
      onError: (err) => d.logger.error({ err }, 'list enrollment failed'),
    }),
    agents: new MemoryAgentPresence(),
    dispositions: new StaticDispositions(),
    accountStatus: async () => ({
      twilio: d.twilioConfigured
        ? { connected: true, detail: 'Twilio account configured' }
        : { connected: false, detail: 'simulated carrier (TELEPHONY=simulator)' },
      hubspot: { connected: env.CRM === 'hubspot' },
    }),
    activity: (p) => (p === d.portalId ? d.activity() : undefined),
    logger: d.logger,
  });
  // hubspotSigned reads the raw body itself: the signature covers the exact bytes
  mounts.push({ path: '/api/v1', router: api, body: 'none' });
  return mounts;
}
