/**
 * One reader per portal and process, fanned out to every open live stream. A blocking stream read holds a Redis
 * connection for as long as it waits, so one reader per open page would cost one connection per page (200 pages
 * took Redis from 17 to 217 clients). Here the portal's reader is the only blocking read; a page that reconnects
 * from an older id catches up with non-blocking reads (no connection held), then takes the shared feed. The
 * reader stops when its last stream closes, and the caps bound what one client or the whole process may open.
 *
 * It needs only `tail` (XREAD), so it works over any event log, whichever Redis client the store uses.
 */
import type { StoredEvent } from '../../engine/events.js';
import { compareStreamIds } from './stream-id.js';

/** The one read the fan-out needs from an event log. */
export interface EventTail {
  tail(portalId: string, afterId: string, opts: { count: number; blockMs: number }): Promise<StoredEvent[]>;
}

export interface EventFanoutOptions {
  source: EventTail;
  /** How long the shared reader's blocking read waits. */
  blockMs?: number;
  /** Open streams allowed in this process. */
  maxStreams?: number;
  /** Open streams allowed per client (a signed-in user, or an address when sign-in is off). */
  maxStreamsPerClient?: number;
  /** A stream whose client does not keep up is closed past this many undelivered events (it reconnects). */
  maxPendingEvents?: number;
  onError?: (error: unknown, portalId: string) => void;
}

export interface StreamHandlers {
  /** Events in id order, each delivered once. */
  onEvents(events: readonly StoredEvent[]): void;
  /** The event log could not be read (the reader retries). */
  onReadError?(): void;
  /** The fan-out ended the stream (client too slow, or the fan-out closed). */
  onEnd?(reason: 'slow-client' | 'closed'): void;
}

export type OpenResult =
  | { ok: true; stream: FanoutStream }
  | { ok: false; reason: 'too-many-streams' | 'too-many-streams-for-client' | 'closed' };

export interface FanoutStream {
  close(): void;
}

interface Subscriber {
  readonly clientKey: string;
  readonly handlers: StreamHandlers;
  /** Last id delivered; null while it still wants everything new ('$'). */
  cursor: string | null;
  /** Live events that arrived while it was catching up. */
  buffer: StoredEvent[] | null;
  closed: boolean;
}

interface PortalReader {
  readonly subscribers: Set<Subscriber>;
  after: string;
  running: Promise<void>;
}

export interface FanoutStats {
  streams: number;
  /** Portals with a running shared reader: the blocking reads (so connections) the streams hold. */
  readers: number;
  /** The most blocking reads that were ever in flight at once. */
  maxConcurrentBlockingReads: number;
}

export class EventFanout {
  private readonly source: EventTail;
  private readonly blockMs: number;
  private readonly maxStreams: number;
  private readonly maxStreamsPerClient: number;
  private readonly maxPending: number;
  private readonly readers = new Map<string, PortalReader>();
  private readonly perClient = new Map<string, number>();
  private streams = 0;
  private blockingNow = 0;
  private blockingMax = 0;
  private closed = false;

  constructor(private readonly options: EventFanoutOptions) {
    this.source = options.source;
    this.blockMs = options.blockMs ?? 1000;
    this.maxStreams = options.maxStreams ?? 500;
    this.maxStreamsPerClient = options.maxStreamsPerClient ?? 10;
    this.maxPending = options.maxPendingEvents ?? 5000;
  }

  /** Opens a stream of the portal's events after `afterId` (`$` = only new ones). The id must be valid. */
  open(portalId: string, clientKey: string, afterId: string, handlers: StreamHandlers): OpenResult {
    if (this.closed) return { ok: false, reason: 'closed' };
    if (this.streams >= this.maxStreams) return { ok: false, reason: 'too-many-streams' };
    const ofClient = this.perClient.get(clientKey) ?? 0;
    if (ofClient >= this.maxStreamsPerClient) return { ok: false, reason: 'too-many-streams-for-client' };
    this.streams += 1;
    this.perClient.set(clientKey, ofClient + 1);

    const catchingUp = afterId !== '$';
    const sub: Subscriber = {
      clientKey,
      handlers,
      cursor: catchingUp ? afterId : null,
      buffer: catchingUp ? [] : null,
      closed: false,
    };
    let reader = this.readers.get(portalId);
    if (!reader) {
      // The first stream's position is the reader's start: it then needs no catch-up of its own.
      reader = this.startReader(portalId, afterId);
      if (catchingUp) sub.buffer = null;
    }
    reader.subscribers.add(sub);
    if (sub.buffer) void this.catchUp(portalId, sub);
    return { ok: true, stream: { close: () => this.release(portalId, sub) } };
  }

  stats(): FanoutStats {
    return {
      streams: this.streams,
      readers: this.readers.size,
      maxConcurrentBlockingReads: this.blockingMax,
    };
  }

  /** Ends every stream and waits for the readers to stop. */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.readers.values()].map((r) => r.running);
    for (const [portalId, reader] of this.readers) {
      for (const sub of [...reader.subscribers]) {
        this.release(portalId, sub);
        sub.handlers.onEnd?.('closed');
      }
    }
    await Promise.all(running);
  }

  private release(portalId: string, sub: Subscriber): void {
    if (sub.closed) return;
    sub.closed = true;
    sub.buffer = null;
    this.streams -= 1;
    const left = (this.perClient.get(sub.clientKey) ?? 1) - 1;
    if (left > 0) this.perClient.set(sub.clientKey, left);
    else this.perClient.delete(sub.clientKey);
    const reader = this.readers.get(portalId);
    if (!reader) return;
    reader.subscribers.delete(sub);
    // The last stream gone: the reader stops after its current read (at most blockMs).
    if (reader.subscribers.size === 0) this.readers.delete(portalId);
  }

  private startReader(portalId: string, after: string): PortalReader {
    const reader: PortalReader = { subscribers: new Set(), after, running: Promise.resolve() };
    this.readers.set(portalId, reader);
    reader.running = this.readLoop(portalId, reader);
    return reader;
  }

  private async readLoop(portalId: string, reader: PortalReader): Promise<void> {
    const batch = 500;
    let failing = false;
    while (this.readers.get(portalId) === reader) {
      let events: StoredEvent[];
      this.blockingNow += 1;
      this.blockingMax = Math.max(this.blockingMax, this.blockingNow);
      try {
        events = await this.source.tail(portalId, reader.after, { count: batch, blockMs: this.blockMs });
        failing = false;
      } catch (error) {
        if (!failing) {
          this.options.onError?.(error, portalId);
          for (const sub of reader.subscribers) sub.handlers.onReadError?.();
        }
        failing = true;
        await new Promise((r) => setTimeout(r, this.blockMs).unref());
        continue;
      } finally {
        this.blockingNow -= 1;
      }
      // A log that answers at once with nothing (closed, or not blocking): yield to the event loop.
      if (events.length === 0) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      reader.after = events[events.length - 1]!.id;
      for (const sub of [...reader.subscribers]) this.deliver(portalId, sub, events);
    }
  }

  /** Reads the stream from the stream's own cursor without blocking, then hands it to the shared feed. */
  private async catchUp(portalId: string, sub: Subscriber): Promise<void> {
    const batch = 200;
    try {
      while (!sub.closed) {
        const events = await this.source.tail(portalId, sub.cursor!, { count: batch, blockMs: 0 });
        if (sub.closed) return;
        this.send(portalId, sub, events);
        if (events.length < batch) break;
      }
    } catch (error) {
      this.options.onError?.(error, portalId);
      sub.handlers.onReadError?.();
    }
    if (sub.closed) return;
    const buffered = sub.buffer ?? [];
    sub.buffer = null;
    this.send(portalId, sub, buffered);
  }

  private deliver(portalId: string, sub: Subscriber, events: readonly StoredEvent[]): void {
    if (sub.closed) return;
    if (sub.buffer) {
      sub.buffer.push(...events);
      if (sub.buffer.length > this.maxPending) this.dropSlow(portalId, sub);
      return;
    }
    this.send(portalId, sub, events);
  }

  /** Delivers the events the stream has not had yet (ids after its cursor). */
  private send(portalId: string, sub: Subscriber, events: readonly StoredEvent[]): void {
    if (sub.closed || events.length === 0) return;
    const cursor = sub.cursor;
    const fresh = cursor === null ? events : events.filter((e) => compareStreamIds(e.id, cursor) > 0);
    if (fresh.length === 0) return;
    sub.cursor = fresh[fresh.length - 1]!.id;
    try {
      sub.handlers.onEvents(fresh);
    } catch (error) {
      this.options.onError?.(error, portalId);
      this.dropSlow(portalId, sub);
    }
  }

  private dropSlow(portalId: string, sub: Subscriber): void {
    this.release(portalId, sub);
    sub.handlers.onEnd?.('slow-client');
  }
}
