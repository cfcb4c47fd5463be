/**
 * `POST /hubspot/webhooks`: HubSpot's webhook batches. v3 signature first (stale, missing or wrong: 401), then
 * the batch schema (400 with the field that is wrong), then every change is applied durably before the 200; a
 * failure there is a 500 so that HubSpot delivers the batch again (it is idempotent).
 */
import { Router } from 'express';
import type { Logger } from '../../observability/logger.js';
import { WebhookBatchSchema } from '../../crm/hubspot/inbound/webhooks.js';
import type { WebhookProcessor } from '../../crm/hubspot/inbound/webhooks.js';
import { hubspotSigned } from './signature.js';

export interface WebhooksRouterOptions {
  clientSecret: string;
  publicBaseUrl: string;
  processor: WebhookProcessor;
  logger: Logger;
  now?: () => number;
}

export function createHubSpotWebhooksRouter(options: WebhooksRouterOptions): Router {
  const router = Router();
  router.post(
    '/webhooks',
    ...hubspotSigned({
      clientSecret: options.clientSecret,
      publicBaseUrl: options.publicBaseUrl,
      versions: ['v3'],
      ...(options.now ? { now: options.now } : {}),
    }),
    async (req, res) => {
      const parsed = WebhookBatchSchema.safeParse(req.body);
      if (!parsed.success) {
        res.status(400).json({
          error: 'invalid webhook batch',
          details: parsed.error.issues.map((i) => ({
            path: i.path.join('.') || '(root)',
            message: i.message,
          })),
        });
        return;
      }
      try {
        const report = await options.processor.process(parsed.data);
        res.status(200).json(report);
      } catch (err) {
        options.logger.error({ err }, 'webhook batch not applied; HubSpot will retry it');
        res.status(500).json({ error: 'the batch could not be applied now; it is safe to send again' });
      }
    },
  );
  return router;
}
