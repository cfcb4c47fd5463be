/**
 * The monitor's live stream (issue 10 findings 1, 2, 7, 9): one shared reader per portal whatever the number of
 * open streams, caps per client and per process, everything released on disconnect, full stream-id checks, HEAD
 * that ends, and a public event view without notes, recording URLs or carrier call ids.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createApp } from '../../src/http/app.js';
import { EventFanout, type EventTail } from '../../src/http/monitor/event-fanout.js';
import { publicEvent } from '../../src/http/monitor/router.js';
import { emptySnapshot } from '../../src/http/monitor/snapshot.js';
import { isValidStreamId } from '../../src/http/monitor/stream-id.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import type { EngineEvent, StoredEvent } from '../../src/engine/events.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';

const logger = createLogger({ level: 'silent' });

/** Counts the blocking reads in flight: each holds one Redis connection in the real store. */
function countingTail(inner: EventTail) {
  const counter = { now: 0, max: 0, calls: 0 };
  const tail: EventTail = {
    async tail(portalId, afterId, opts) {
      if (opts.blockMs <= 0) return inner.tail(portalId, afterId, opts);
      counter.calls += 1;
      counter.now += 1;
      counter.max = Math.max(counter.max, counter.now);
      try {
        return await inner.tail(portalId, afterId, opts);
      } finally {
        counter.now -= 1;
      }
    },
  };
  return { tail, counter };
}

const finished = (portalId: string, n: number): EngineEvent => ({
  type: 'attempt.finished',
  portalId,
  campaignId: 'c',
  campaignName: 'Spring',
  attemptId: `a${n}`,
  contactId: `k${n}`,
  to: '+13055550123',
  from: '+13055550100',
  startedAt: n,
  at: n,
  durationSec: 30,
  disposition: 'CONNECTED',
  outcomeLabel: 'Connected',
  nextState: 'reached',
  recordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1',
  providerCallId: `CA${'1'.repeat(32)}`,
  notes: 'Ana Ruiz, 12 Main St, card 4111 1111 1111 1111, call +13055550123',
});

let server: Server | undefined;
afterEach(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise((r) => server!.close(r));
  }
  server = undefined;
});

async function listen(app: ReturnType<typeof createApp>): Promise<number> {
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server!.once('listening', r));
  return (server.address() as AddressInfo).port;
}

function openStream(port: number, path: string, headers: Record<string, string> = {}) {
  return new Promise<IncomingMessage>((resolve, reject) => {
    get({ port, host: '127.0.0.1', path, headers }, resolve).on('error', reject);
  });
}

describe('stream ids', () => {
  it.each(['$', '0', '0-0', '1700000000000-0', '18446744073709551615-18446744073709551615'])(
    'accepts %s',
    (id) => {
      expect(isValidStreamId(id)).toBe(true);
    },
  );
  it.each([
    '18446744073709551616-0',
    '1-18446744073709551616',
    '99999999999999999999999',
    '-1',
    '1-',
    '1-2-3',
    '',
    ' 1',
    '$$',
  ])('refuses %s', (id) => {
    expect(isValidStreamId(id)).toBe(false);
  });

  it('the monitor answers 400 to an id past 64 bits, and HEAD on the stream ends', async () => {
    const log = new MemoryStore();
    const app = createApp({
      logger,
      metrics: createMetrics(),
      monitor: { eventLog: log, portalId: 'p', snapshot: () => emptySnapshot('p') },
    });
    const res = await request(app).get('/monitor/events?after=18446744073709551616-0').expect(400);
    expect(res.body.error).toBe('invalid event id');
    await request(app).get('/monitor/events').set('Last-Event-ID', '1-18446744073709551616').expect(400);
    const head = await request(app).head('/monitor/events').timeout(2000).expect(200);
    expect(head.headers['content-type']).toMatch(/text\/event-stream/);
  });
});

describe('the public event stream', () => {
  it('never carries notes, recording URLs or carrier call ids; numbers are masked', async () => {
    const log = new MemoryStore();
    await log.append('p', finished('p', 1));
    const app = createApp({
      logger,
      metrics: createMetrics(),
      monitor: { eventLog: log, portalId: 'p', snapshot: () => emptySnapshot('p'), blockMs: 20 },
    });
    const port = await listen(app);
    const res = await openStream(port, '/monitor/events?after=0');
    const text = await new Promise<string>((resolve) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
        if (body.includes('event: engine')) {
          res.destroy();
          resolve(body);
        }
      });
    });
    expect(text).not.toMatch(/notes|recording|Recordings|providerCallId|4111|Main St|5550123|5550100/);
    expect(text).toContain('"disposition":"CONNECTED"');
    await app.closeMonitor();
  });

  it('keeps only the fields the page shows', () => {
    const view = publicEvent({
      ...finished('p', 2),
      id: '2-0',
      secretNewField: 'x',
    } as unknown as StoredEvent);
    expect(Object.keys(view).sort()).toEqual(
      [
        'at',
        'attemptId',
        'campaignId',
        'campaignName',
        'contactId',
        'disposition',
        'durationSec',
        'from',
        'id',
        'nextState',
        'outcomeLabel',
        'portalId',
        'startedAt',
        'to',
        'type',
      ].sort(),
    );
  });
});

describe('one shared reader per portal', () => {
  it('200 open streams use one blocking read; after they close nothing is left', async () => {
    const log = new MemoryStore();
    const { tail, counter } = countingTail(log);
    const fanout = new EventFanout({
      source: tail,
      blockMs: 30,
      maxStreams: 1000,
      maxStreamsPerClient: 1000,
    });
    const received: number[] = Array.from({ length: 200 }, () => 0);
    const streams = received.map((_, i) => {
      const opened = fanout.open('p', `client-${i % 7}`, i % 2 === 0 ? '$' : '0', {
        onEvents: (events) => (received[i]! += events.length),
      });
      if (!opened.ok) throw new Error(opened.reason);
      return opened.stream;
    });
    await new Promise((r) => setTimeout(r, 60));
    for (let n = 1; n <= 5; n++) await log.append('p', finished('p', n));
    await new Promise((r) => setTimeout(r, 100));
    expect(received.every((n) => n === 5)).toBe(true);
    expect(counter.max).toBe(1);
    expect(fanout.stats()).toMatchObject({ streams: 200, readers: 1 });
    for (const s of streams) s.close();
    expect(fanout.stats()).toMatchObject({ streams: 0, readers: 0 });
    const callsAfterClose = counter.calls;
    await new Promise((r) => setTimeout(r, 100));
    // The reader stopped: no read started after the last stream left.
    expect(counter.calls - callsAfterClose).toBeLessThanOrEqual(1);
    expect(counter.now).toBe(0);
    await fanout.close();
  });

  it('a stream that reconnects from an older id misses nothing and gets nothing twice', async () => {
    const log = new MemoryStore();
    const ids: string[] = [];
    for (let n = 1; n <= 4; n++) ids.push(await log.append('p', finished('p', n)));
    const fanout = new EventFanout({ source: log, blockMs: 20 });
    const first: string[] = [];
    const second: string[] = [];
    const a = fanout.open('p', 'x', '$', { onEvents: (e) => first.push(...e.map((x) => x.id)) });
    await new Promise((r) => setTimeout(r, 30));
    const b = fanout.open('p', 'y', ids[1]!, { onEvents: (e) => second.push(...e.map((x) => x.id)) });
    for (let n = 5; n <= 6; n++) ids.push(await log.append('p', finished('p', n)));
    await new Promise((r) => setTimeout(r, 100));
    expect(first).toEqual(ids.slice(4));
    expect(second).toEqual(ids.slice(2));
    if (a.ok) a.stream.close();
    if (b.ok) b.stream.close();
    await fanout.close();
  });

  it('caps streams per client and per process over HTTP, and frees a slot when a client leaves', async () => {
    const log = new MemoryStore();
    const app = createApp({
      logger,
      metrics: createMetrics(),
      monitor: {
        eventLog: log,
        portalId: 'p',
        snapshot: () => emptySnapshot('p'),
        blockMs: 20,
        maxStreams: 4,
        maxStreamsPerClient: 3,
      },
    });
    const port = await listen(app);
    const open = await Promise.all([1, 2, 3].map(() => openStream(port, '/monitor/events')));
    expect(open.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    // Forwarded-For is not trusted without configured proxy hops: it is still the same client.
    const refused = await openStream(port, '/monitor/events', { 'X-Forwarded-For': '203.0.113.9' });
    expect(refused.statusCode).toBe(429);
    refused.resume();
    open[0]!.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const again = await openStream(port, '/monitor/events');
    expect(again.statusCode).toBe(200);
    for (const r of [...open, again]) r.destroy();
    await app.closeMonitor();
  });
});
