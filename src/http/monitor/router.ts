/**
 * The live monitor: the page, its script, the initial snapshot and a server-sent event stream of engine events.
 * All open streams of a process share one reader per portal (event-fanout.ts); a page that reconnects sends
 * the id it last saw (Last-Event-ID) and misses nothing. What leaves here is the public view of an event: the
 * fields the page shows, numbers masked, never notes, recording URLs or carrier call ids.
 */
import { Router } from 'express';
import type { Request, Response } from 'express';
import type { StoredEvent } from '../../engine/events.js';
import type { Logger } from '../../observability/logger.js';
import { maskDeep, maskPhoneNumbers } from '../../observability/logger.js';
import { monitorCoreScript, type MonitorSnapshot } from './snapshot.js';
import { monitorClientScript, monitorPageHtml } from './page.js';
import { EventFanout, type EventTail } from './event-fanout.js';
import { isValidStreamId } from './stream-id.js';

export interface MonitorOptions {
  eventLog: EventTail;
  /** The portal this backend dials for: the only one its monitor shows. */
  portalId: string;
  snapshot: () => MonitorSnapshot | Promise<MonitorSnapshot>;
  logger?: Logger;
  /** How long the shared reader waits for new events. */
  blockMs?: number;
  /** Comment lines keep idle connections open through proxies. */
  heartbeatMs?: number;
  /** The process's shared reader; one is made when omitted (closed with the router's close()). */
  fanout?: EventFanout;
  /** Stream caps when the router makes its own fan-out. */
  maxStreams?: number;
  maxStreamsPerClient?: number;
  /**
   * With sign-in: the signed-in portal and user of a request (set by the auth middleware). Without it every
   * request sees `portalId` and clients are told apart by address.
   */
  viewer?: (req: Request, res: Response) => { portalId: string; clientKey: string } | undefined;
}

export interface MonitorRouter extends Router {
  /** Ends the open streams and the shared reader (when the router made it). */
  close(): Promise<void>;
}

/** The fields of an engine event the page uses; anything else (notes, recordings, new fields) stays inside. */
const PUBLIC_FIELDS = new Set([
  'id',
  'type',
  'portalId',
  'at',
  'campaignId',
  'campaignName',
  'from',
  'to',
  'why',
  'level',
  'message',
  'code',
  'enrolled',
  'skipped',
  'attemptId',
  'contactId',
  'attempt',
  'dueAt',
  'status',
  'startedAt',
  'durationSec',
  'disposition',
  'category',
  'outcomeLabel',
  'nextState',
  'nextAt',
  'localHour',
  'doNotCall',
  'wrongNumber',
  'reason',
]);

/** The public view of an event: allow-listed fields, every string masked. */
export function publicEvent(event: StoredEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (!PUBLIC_FIELDS.has(key)) continue;
    out[key] = typeof value === 'string' ? maskPhoneNumbers(value) : maskDeep(value);
  }
  return out;
}

/** A stream whose client stops reading is closed past this many buffered bytes (it reconnects and catches up). */
const MAX_BUFFERED_BYTES = 1 << 20;

export function createMonitorRouter(options: MonitorOptions): MonitorRouter {
  const router = Router() as MonitorRouter;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const script = `${monitorCoreScript()}\n${monitorClientScript}`;
  const ownFanout = !options.fanout;
  const fanout =
    options.fanout ??
    new EventFanout({
      source: options.eventLog,
      ...(options.blockMs !== undefined ? { blockMs: options.blockMs } : {}),
      ...(options.maxStreams !== undefined ? { maxStreams: options.maxStreams } : {}),
      ...(options.maxStreamsPerClient !== undefined
        ? { maxStreamsPerClient: options.maxStreamsPerClient }
        : {}),
      onError: (err) => options.logger?.warn({ err }, 'monitor: reading the event stream failed'),
    });

  /** The viewer of this request, or an answer already sent (another portal than this backend's). */
  const viewerOf = (req: Request, res: Response) => {
    const viewer = options.viewer?.(req, res) ?? {
      portalId: options.portalId,
      clientKey: req.ip ?? 'unknown',
    };
    if (viewer.portalId !== options.portalId) {
      res.status(403).json({
        error: `this backend dials for another HubSpot portal than yours (${viewer.portalId})`,
        details: { portalId: viewer.portalId },
      });
      return undefined;
    }
    return viewer;
  };

  router.get('/', (req, res) => {
    if (!viewerOf(req, res)) return;
    res.type('html').set('Cache-Control', 'no-store').send(monitorPageHtml(options.portalId, req.baseUrl));
  });
  router.get('/app.js', (_req, res) => {
    res.type('application/javascript').set('Cache-Control', 'no-store').send(script);
  });
  router.get('/snapshot', async (req, res) => {
    if (!viewerOf(req, res)) return;
    const snapshot = await options.snapshot();
    res.set('Cache-Control', 'no-store').json(maskDeep(snapshot));
  });
  router.get('/events', (req, res) => streamEvents(req, res));

  function streamEvents(req: Request, res: Response) {
    const viewer = viewerOf(req, res);
    if (!viewer) return;
    const requested =
      req.get('Last-Event-ID') ?? (typeof req.query.after === 'string' ? req.query.after : '$');
    if (!isValidStreamId(requested)) {
      res.status(400).json({
        error: 'invalid event id',
        details: { after: 'expected a stream id such as 1700000000000-0 (two 64-bit unsigned integers)' },
      });
      return;
    }
    const headers = {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    };
    // HEAD has no body: answer the headers and end, or the request would stay open forever.
    if (req.method === 'HEAD') {
      res.writeHead(200, headers).end();
      return;
    }
    const timer: { heartbeat?: NodeJS.Timeout } = {};
    const end = () => {
      clearInterval(timer.heartbeat);
      if (!res.writableEnded) res.end();
    };
    const opened = fanout.open(viewer.portalId, viewer.clientKey, requested, {
      onEvents(events) {
        if (res.writableLength > MAX_BUFFERED_BYTES) throw new Error('the client is not reading its stream');
        let chunk = '';
        for (const event of events) {
          chunk += `id: ${event.id}\nevent: engine\ndata: ${JSON.stringify(publicEvent(event))}\n\n`;
        }
        res.write(chunk);
      },
      onReadError() {
        res.write(`event: monitor-error\ndata: ${JSON.stringify({ error: 'event stream unavailable' })}\n\n`);
      },
      onEnd: end,
    });
    if (!opened.ok) {
      const message =
        opened.reason === 'too-many-streams-for-client'
          ? 'too many live streams open for you: close another monitor tab'
          : 'too many live streams open on this backend: try again later';
      res
        .status(opened.reason === 'closed' ? 503 : 429)
        .set('Retry-After', '10')
        .json({
          error: message,
          details: { reason: opened.reason },
        });
      return;
    }
    res.writeHead(200, { ...headers, Connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    timer.heartbeat = setInterval(() => res.write(': ping\n\n'), heartbeatMs);
    timer.heartbeat.unref();
    // Everything the stream holds is released when the client leaves.
    res.on('close', () => {
      opened.stream.close();
      end();
    });
  }

  router.close = async () => {
    if (ownFanout) await fanout.close();
  };
  return router;
}
