/**
 * Wiring of HubSpot's inbound side (webhooks, DNC, privacy, workflow action): builds the services and the
 * routers to mount at /hubspot, and runs their background loops (workflow completions, pending privacy purges,
 * the DNC registry watchdog). The composition root calls this when CRM=hubspot.
 */
import { Router } from 'express';
import type { RequestHandler } from 'express';
import type { AccountSettings } from '../../domain/settings.js';
import type { CampaignService } from '../../engine/campaigns.js';
import type { Clock } from '../../shared/clock.js';
import type { Store } from '../../engine/store/store.js';
import type { Logger } from '../../observability/logger.js';
import { ContactChanges } from '../../crm/hubspot/inbound/contact-changes.js';
import { RegistryStore, startRegistryWatchdog } from '../../crm/hubspot/inbound/dnc-registry.js';
import type { HubSpotClientProvider, RedisConnection } from '../../crm/hubspot/inbound/ports.js';
import { PrivacyPurger } from '../../crm/hubspot/inbound/privacy.js';
import { WebhookProcessor } from '../../crm/hubspot/inbound/webhooks.js';
import { WorkflowCalls } from '../../crm/hubspot/inbound/workflow-action.js';
import { startWorkflowCompletions } from '../../crm/hubspot/inbound/workflow-completions.js';
import type { WorkflowCompletions } from '../../crm/hubspot/inbound/workflow-completions.js';
import { createHubSpotWebhooksRouter } from './webhooks-router.js';
import { createHubSpotWorkflowRouter } from './workflow-router.js';

export interface HubSpotInboundOptions {
  store: Store;
  campaigns: CampaignService;
  clock: Clock;
  logger: Logger;
  redis: RedisConnection;
  keyPrefix: string;
  clients: HubSpotClientProvider;
  clientSecret: string;
  publicBaseUrl: string;
  account: (portalId: string) => AccountSettings;
  defaultCallerIds: (portalId: string) => string[];
  /** This process's consumer name in the event stream's groups. */
  consumer: string;
  emailOptOutMeansDoNotCall?: boolean;
  /** Pending privacy purges are retried this often (real ms). */
  purgeEveryMs?: number;
  now?: () => number;
}

export interface HubSpotInbound {
  readonly path: string;
  readonly router: RequestHandler;
  readonly changes: ContactChanges;
  readonly privacy: PrivacyPurger;
  readonly webhooks: WebhookProcessor;
  readonly workflow: WorkflowCalls;
  readonly registry: RegistryStore;
  start(portalIds: string[]): void;
  /** Starts the loops of a portal installed later (no-op when they run). */
  addPortal(portalId: string): void;
  /** Stops one portal's loops (uninstall). */
  removePortal(portalId: string): Promise<void>;
  stop(): Promise<void>;
}

export function createHubSpotInbound(o: HubSpotInboundOptions): HubSpotInbound {
  const changes = new ContactChanges({
    store: o.store,
    campaigns: o.campaigns,
    clock: o.clock,
    account: o.account,
  });
  const privacy = new PrivacyPurger({
    store: o.store,
    redis: o.redis,
    keyPrefix: o.keyPrefix,
    changes,
    hashKey: o.clientSecret,
  });
  const webhooks = new WebhookProcessor({
    redis: o.redis,
    keyPrefix: o.keyPrefix,
    changes,
    privacy,
    clients: o.clients,
    logger: o.logger,
    ...(o.emailOptOutMeansDoNotCall !== undefined
      ? { emailOptOutMeansDoNotCall: o.emailOptOutMeansDoNotCall }
      : {}),
  });
  const workflow = new WorkflowCalls({
    store: o.store,
    campaigns: o.campaigns,
    redis: o.redis,
    keyPrefix: o.keyPrefix,
    clients: o.clients,
    clock: o.clock,
    defaultCallerIds: o.defaultCallerIds,
  });
  const registry = new RegistryStore(o.redis, o.keyPrefix);
  const signed = {
    clientSecret: o.clientSecret,
    publicBaseUrl: o.publicBaseUrl,
    ...(o.now ? { now: o.now } : {}),
  };
  const webhookRouter = createHubSpotWebhooksRouter({ ...signed, processor: webhooks, logger: o.logger });
  const workflowRouter = createHubSpotWorkflowRouter({ ...signed, calls: workflow, logger: o.logger });
  const router = Router();
  router.use(webhookRouter, workflowRouter);

  // Per served portal: its workflow-completion consumer, its registry watchdog and its privacy sweep, so a
  // portal installed later joins and an uninstalled one leaves without touching the others.
  const loops = new Map<
    string,
    { completions: WorkflowCompletions; watchdog: { stop(): void }; sweep: NodeJS.Timeout }
  >();
  const addPortal = (portalId: string) => {
    if (loops.has(portalId)) return;
    const completions = startWorkflowCompletions({
      portalId,
      eventLog: o.store,
      store: o.store,
      redis: o.redis,
      keyPrefix: o.keyPrefix,
      clients: o.clients,
      calls: workflow,
      clock: o.clock,
      logger: o.logger,
      consumer: o.consumer,
    });
    const watchdog = startRegistryWatchdog({
      portalIds: [portalId],
      store: o.store,
      campaigns: o.campaigns,
      registry,
      clock: o.clock,
      logger: o.logger,
    });
    const sweep = setInterval(() => {
      privacy
        .sweep(portalId)
        .catch((err: unknown) => o.logger.error({ err, portalId }, 'privacy purge sweep failed'));
    }, o.purgeEveryMs ?? 30_000);
    sweep.unref();
    loops.set(portalId, { completions, watchdog, sweep });
  };
  const removePortal = async (portalId: string) => {
    const loop = loops.get(portalId);
    if (!loop) return;
    loops.delete(portalId);
    clearInterval(loop.sweep);
    loop.watchdog.stop();
    await loop.completions.stop();
  };
  return {
    path: '/hubspot',
    router,
    changes,
    privacy,
    webhooks,
    workflow,
    registry,
    start(portalIds) {
      for (const portalId of portalIds) addPortal(portalId);
    },
    addPortal,
    removePortal,
    async stop() {
      await Promise.all([...loops.keys()].map(removePortal));
    },
  };
}
