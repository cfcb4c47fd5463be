/**
 * The live monitor's wiring: what it knows of each campaign (refreshed from the store every 2 s) and its
 * "Sign in with HubSpot" from the environment. Kept out of compose.ts.
 */
import type { Env } from '../config/env.js';
import type { Engine } from '../engine/dialer.js';
import type { Store } from '../engine/store/store.js';
import type { MonitorSignIn } from '../http/app.js';
import { hubspotIdentityProvider } from '../http/auth/hubspot-identity.js';
import type { IdentityProvider } from '../http/auth/hubspot-identity.js';
import { createMonitorSignIn } from '../http/auth/router.js';
import type { CampaignInfo } from '../http/monitor/live-snapshot.js';
import type { Logger } from '../observability/logger.js';

export function campaignInfoCache(store: Store, portalId: string, engine: Engine) {
  const info = new Map<string, CampaignInfo>();
  let timer: NodeJS.Timeout | undefined;
  const refresh = async () => {
    try {
      for (const c of await store.listCampaigns(portalId)) {
        const agentsMode = c.settings.dialMode.mode !== 'message' && c.settings.dialMode.mode !== 'preview';
        // agents by state from presence; the pacing and the abandonment period as this process's engine saw them
        const pacing = engine.campaignPacing(portalId, c.campaignId);
        info.set(c.campaignId, {
          name: c.settings.name,
          status: c.status,
          pace: c.settings.pace,
          ...(agentsMode ? { agents: await store.agentCounts(portalId, c.campaignId) } : {}),
          ...(pacing?.predictive ? { pacing: pacing.predictive } : {}),
          ...(pacing?.tally ? { abandonmentPeriod: pacing.tally } : {}),
        });
      }
    } catch {
      // The monitor shows what it last knew; readiness reports the store itself.
    }
  };
  return {
    get: (campaignId: string) => info.get(campaignId),
    start() {
      void refresh();
      timer = setInterval(() => void refresh(), 2000);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** "Sign in with HubSpot" for the monitor when its three variables are set (env.ts checks they come together). */
export function monitorSignIn(
  env: Env,
  logger: Logger,
  provider?: IdentityProvider,
): MonitorSignIn | undefined {
  if (!env.SESSION_SECRET || !env.HUBSPOT_CLIENT_ID || !env.HUBSPOT_CLIENT_SECRET || !env.PUBLIC_BASE_URL) {
    return undefined;
  }
  const base = env.PUBLIC_BASE_URL.replace(/\/+$/, '');
  return createMonitorSignIn({
    provider:
      provider ??
      hubspotIdentityProvider({
        clientId: env.HUBSPOT_CLIENT_ID,
        clientSecret: env.HUBSPOT_CLIENT_SECRET,
        redirectUri: `${base}/auth/hubspot/callback`,
      }),
    session: { secret: env.SESSION_SECRET, secure: base.startsWith('https://') },
    logger,
  });
}
