/**
 * What the engine reports about itself while it works, for metrics and logs. The engine calls these hooks
 * in-process (never through the event stream, so every process reports only its own work); the default
 * observer does nothing, and src/observability adapts them to Prometheus.
 */
import type { Disposition, OutcomeCategory } from '../domain/outcome.js';

export interface EngineObserver {
  /** A dial request was handed to the carrier (after the durable dial-requested mark). */
  dialPlaced(portalId: string, campaignId: string): void;
  /** An attempt finished with this disposition (once per attempt). */
  attemptFinished(
    portalId: string,
    campaignId: string,
    disposition: Disposition,
    category: OutcomeCategory,
  ): void;
  /** A due dial was held back by the pacer (rate or concurrency) for about `waitMs`. */
  pacerWait(portalId: string, campaignId: string, waitMs: number): void;
  /** Contacts in the campaign's due queue (due now or later), when the engine happens to know it. */
  queueDepth(portalId: string, campaignId: string, depth: number): void;
  /** The carrier warned that we dial above the account's rate; the engine lowered the campaign's pace. */
  paceLowered(portalId: string, campaignId: string, fromCps: number, toCps: number, reason: string): void;
  /** An unexpected error in a background loop (the loop keeps running). */
  error(error: unknown): void;
}

export const NOOP_OBSERVER: EngineObserver = {
  dialPlaced: () => {},
  attemptFinished: () => {},
  pacerWait: () => {},
  queueDepth: () => {},
  paceLowered: () => {},
  error: () => {},
};
