/**
 * `POST /hubspot/workflow-actions/place-call`: HubSpot's custom workflow action. Signature v3 when present, else
 * v2 (401 when neither is valid); the body through its schema (400 naming the field); the execution recorded and
 * the contact enrolled durably before the BLOCK answer. A failure there is a 500: HubSpot retries the delivery,
 * and a redelivery of the same callbackId never places a second call.
 */
import { Router } from 'express';
import { EngineInputError } from '../../engine/campaigns.js';
import type { Logger } from '../../observability/logger.js';
import { BLOCK_RESPONSE, PlaceCallRequestSchema } from '../../crm/hubspot/inbound/workflow-action.js';
import type { WorkflowCalls } from '../../crm/hubspot/inbound/workflow-action.js';
import { hubspotSigned } from './signature.js';

export interface WorkflowRouterOptions {
  clientSecret: string;
  publicBaseUrl: string;
  calls: WorkflowCalls;
  logger: Logger;
  now?: () => number;
}

export function createHubSpotWorkflowRouter(options: WorkflowRouterOptions): Router {
  const router = Router();
  router.post(
    '/workflow-actions/place-call',
    ...hubspotSigned({
      clientSecret: options.clientSecret,
      publicBaseUrl: options.publicBaseUrl,
      versions: ['v3', 'v2'],
      ...(options.now ? { now: options.now } : {}),
    }),
    async (req, res) => {
      const parsed = PlaceCallRequestSchema.safeParse(req.body);
      if (!parsed.success) {
        res.status(400).json({
          error: 'invalid workflow action request',
          details: parsed.error.issues.map((i) => ({
            path: i.path.join('.') || '(root)',
            message: i.message,
          })),
        });
        return;
      }
      try {
        await options.calls.accept(parsed.data);
        res.status(200).json(BLOCK_RESPONSE);
      } catch (err) {
        if (err instanceof EngineInputError) {
          res.status(400).json({ error: err.message });
          return;
        }
        options.logger.error({ err }, 'workflow action not recorded; HubSpot will retry it');
        res.status(500).json({ error: 'the call could not be recorded now; it is safe to send again' });
      }
    },
  );
  return router;
}
