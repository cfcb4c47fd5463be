/**
 * The engine's observer hooks as Prometheus metrics and log lines. Each process reports only its own work, so
 * counters add up across worker processes when Prometheus sums them.
 */
import type { EngineObserver } from '../engine/observer.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export function createMetricsObserver(metrics: Metrics, logger: Logger): EngineObserver {
  const log = logger.child({ component: 'engine' });
  return {
    dialPlaced(_portalId, campaignId) {
      metrics.dials.inc({ campaign: campaignId });
    },
    attemptFinished(_portalId, _campaignId, disposition) {
      metrics.outcomes.inc({ disposition });
    },
    pacerWait(_portalId, campaignId, waitMs) {
      metrics.pacerWaitSeconds.observe({ campaign: campaignId }, Math.max(0, waitMs) / 1000);
    },
    queueDepth(_portalId, campaignId, depth) {
      metrics.dueQueueDepth.set({ campaign: campaignId }, depth);
    },
    paceLowered(portalId, campaignId, fromCps, toCps, reason) {
      log.warn({ portalId, campaignId, fromCps, toCps, reason }, 'carrier warning: campaign pace lowered');
    },
    error(error) {
      log.error({ err: error }, 'engine background loop error');
    },
  };
}
