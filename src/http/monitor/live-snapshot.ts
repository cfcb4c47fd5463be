/**
 * A ready-made `snapshot()` for the monitor: folds the portal's event stream from the start and keeps
 * following it, so a freshly opened page gets current counters plus the id to stream from.
 */
import type { EventLog } from '../../engine/events.js';
import type { Logger } from '../../observability/logger.js';
import { applyEvent, emptySnapshot } from './snapshot.js';
import type { AgentsByState, MonitorSnapshot, PaceSettings, PacingView } from './snapshot.js';
import type { CampaignStatus } from '../../domain/lifecycle.js';

export interface CampaignInfo {
  name?: string;
  status?: CampaignStatus;
  pace?: PaceSettings;
  agents?: AgentsByState;
  pacing?: PacingView;
  abandonmentPeriod?: { periodStart: number; answered: number; abandoned: number };
}

export interface LiveSnapshotOptions {
  eventLog: EventLog;
  portalId: string;
  /** Settings the event stream does not carry (configured pace, display name). */
  campaignInfo?: (campaignId: string) => CampaignInfo | undefined;
  logger?: Logger;
  bucketMs?: number;
  blockMs?: number;
}

export interface LiveSnapshot {
  snapshot(): MonitorSnapshot;
  /** Resolves once the stream has been read up to its end once. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export function createLiveSnapshot(options: LiveSnapshotOptions): LiveSnapshot {
  const batch = 500;
  let current = emptySnapshot(options.portalId, { bucketMs: options.bucketMs });
  let stopped = false;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const loop = (async () => {
    let caughtUp = false;
    while (!stopped) {
      try {
        const events = await options.eventLog.tail(options.portalId, current.lastEventId, {
          count: batch,
          blockMs: caughtUp ? (options.blockMs ?? 1000) : 0,
        });
        for (const event of events) current = applyEvent(current, event);
        // A closed log answers at once: yield so the loop cannot starve the event loop.
        if (events.length === 0) await new Promise((r) => setImmediate(r));
        if (events.length < batch && !caughtUp) {
          caughtUp = true;
          markReady();
        }
      } catch (error) {
        options.logger?.warn({ err: error }, 'monitor snapshot: reading the event stream failed; retrying');
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
    }
  })();

  return {
    snapshot() {
      if (!options.campaignInfo) return current;
      const campaigns = { ...current.campaigns };
      for (const [id, view] of Object.entries(campaigns)) {
        const info = options.campaignInfo(id);
        if (!info) continue;
        campaigns[id] = {
          ...view,
          name: info.name ?? view.name,
          status: info.status ?? view.status,
          pace: info.pace ?? view.pace,
          ...(info.agents ? { agents: info.agents } : {}),
          ...(info.pacing ? { pacing: info.pacing } : {}),
          ...(info.abandonmentPeriod ? { abandonmentPeriod: info.abandonmentPeriod } : {}),
        };
      }
      return { ...current, campaigns };
    },
    ready,
    async stop() {
      stopped = true;
      markReady();
      await loop;
    },
  };
}
