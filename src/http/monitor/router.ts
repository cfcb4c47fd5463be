/**
 * The live monitor: the page, its script, the initial snapshot and a server-sent event stream of engine events.
 * Each connected page gets its own tail loop from the id it last saw (Last-Event-ID on reconnect), so a page
 * that reconnects misses nothing and a slow page cannot hold others back.
 */
import { Router } from 'express';
import type { Request, Response } from 'express';
import type { EventLog, StoredEvent } from '../../engine/events.js';
import type { Logger } from '../../observability/logger.js';
import { maskDeep, maskPhoneNumbers } from '../../observability/logger.js';
import { monitorCoreScript, type MonitorSnapshot } from './snapshot.js';
import { monitorClientScript, monitorPageHtml } from './page.js';

export interface MonitorOptions {
  eventLog: EventLog;
  portalId: string;
  snapshot: () => MonitorSnapshot | Promise<MonitorSnapshot>;
  logger?: Logger;
  /** How long one tail call waits for new events. */
  blockMs?: number;
  /** Comment lines keep idle connections open through proxies. */
  heartbeatMs?: number;
}

const STREAM_ID = /^(?:\d+(?:-\d+)?|\$)$/;

/** Phone numbers never leave the backend for a wall screen. */
function maskEvent(event: StoredEvent): StoredEvent {
  const out: Record<string, unknown> = { ...event };
  for (const key of ['to', 'from', 'notes'] as const) {
    if (typeof out[key] === 'string') out[key] = maskPhoneNumbers(out[key]);
  }
  return out as unknown as StoredEvent;
}

export function createMonitorRouter(options: MonitorOptions): Router {
  const router = Router();
  const blockMs = options.blockMs ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const script = `${monitorCoreScript()}\n${monitorClientScript}`;

  router.get('/', (req, res) => {
    res.type('html').set('Cache-Control', 'no-store').send(monitorPageHtml(options.portalId, req.baseUrl));
  });
  router.get('/app.js', (_req, res) => {
    res.type('application/javascript').set('Cache-Control', 'no-store').send(script);
  });
  router.get('/snapshot', async (_req, res) => {
    const snapshot = await options.snapshot();
    res.set('Cache-Control', 'no-store').json(maskDeep(snapshot));
  });
  router.get('/events', (req, res) => streamEvents(req, res));

  async function streamEvents(req: Request, res: Response) {
    const requested =
      req.get('Last-Event-ID') ?? (typeof req.query.after === 'string' ? req.query.after : '$');
    if (!STREAM_ID.test(requested)) {
      res.status(400).json({
        error: 'invalid event id',
        details: { after: 'expected a stream id such as 1700000000000-0' },
      });
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    let open = true;
    req.on('close', () => (open = false));
    const heartbeat = setInterval(() => res.write(': ping\n\n'), heartbeatMs);
    heartbeat.unref();
    let after = requested;
    try {
      while (open) {
        let events: StoredEvent[];
        try {
          events = await options.eventLog.tail(options.portalId, after, { count: 200, blockMs });
        } catch (error) {
          options.logger?.warn({ err: error }, 'monitor: reading the event stream failed');
          res.write(
            `event: monitor-error\ndata: ${JSON.stringify({ error: 'event stream unavailable' })}\n\n`,
          );
          await new Promise((r) => setTimeout(r, blockMs).unref());
          continue;
        }
        // A closed or non-blocking log answers at once: yield so the loop cannot starve the event loop.
        if (events.length === 0) await new Promise((r) => setImmediate(r));
        for (const event of events) {
          if (!open) break;
          res.write(`id: ${event.id}\nevent: engine\ndata: ${JSON.stringify(maskEvent(event))}\n\n`);
          after = event.id;
        }
      }
    } finally {
      clearInterval(heartbeat);
      res.end();
    }
  }

  return router;
}
