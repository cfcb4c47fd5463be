/**
 * The engine's event log in Redis: one stream per portal, consumer groups for the CRM writeback and the monitor,
 * trimmed only of entries every group has acked. Blocking reads take a connection of their own from a small
 * pool, so they never stall the scripts on the shared one.
 */
import type { EngineEvent, EventLog, StoredEvent } from '../../events.js';
import { connectWithin, watchErrors } from './connection.js';
import type { RedisConnection, RedisErrorLog } from './connection.js';
import type { RedisContext } from './context.js';

/** A stream entry as node-redis returns it; `message` is missing for a pending entry deleted by trimming. */
interface StreamEntry {
  id: string;
  message?: Record<string, string> | null;
}

export class RedisEvents implements EventLog {
  /** Pending entries found deleted by claimStale since this store was created (see onEventsLost). */
  lostEvents = 0;
  private readonly blockingPool: RedisConnection[] = [];
  private readonly blockingAll = new Set<RedisConnection>();
  private closed = false;

  constructor(
    private readonly ctx: RedisContext,
    /** Each portal's stream is trimmed past this many entries (acked ones only). */
    private readonly trimAbove: number,
    private readonly onEventsLost: (portalId: string, group: string, ids: string[]) => void,
    private readonly errorLog: RedisErrorLog,
  ) {}

  async append(portalId: string, event: EngineEvent): Promise<string> {
    return this.ctx.conn.xAdd(
      this.ctx.keys(portalId).events(),
      '*',
      { e: JSON.stringify(event) },
      { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: this.ctx.maxEvents } },
    );
  }

  async ensureGroup(portalId: string, group: string) {
    try {
      await this.ctx.conn.xGroupCreate(this.ctx.keys(portalId).events(), group, '0', { MKSTREAM: true });
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) throw error;
    }
  }

  private async withBlocking<T>(blockMs: number, fn: (conn: RedisConnection) => Promise<T>): Promise<T> {
    if (blockMs <= 0) return fn(this.ctx.conn);
    let conn = this.blockingPool.pop();
    if (!conn) {
      const fresh = watchErrors(this.ctx.conn.duplicate(), 'blocking reads', this.errorLog);
      await connectWithin(fresh);
      conn = fresh;
    }
    this.blockingAll.add(conn);
    try {
      return await fn(conn);
    } finally {
      if (this.closed) {
        this.blockingAll.delete(conn);
        conn.destroy();
      } else this.blockingPool.push(conn);
    }
  }

  async readGroup(
    portalId: string,
    group: string,
    consumer: string,
    opts: { count: number; blockMs: number },
  ): Promise<StoredEvent[]> {
    const key = this.ctx.keys(portalId).events();
    const reply = await this.withBlocking(opts.blockMs, (conn) =>
      conn.xReadGroup(
        group,
        consumer,
        { key, id: '>' },
        { COUNT: opts.count, ...(opts.blockMs > 0 ? { BLOCK: opts.blockMs } : {}) },
      ),
    );
    return parseStreams(reply);
  }

  async readPending(
    portalId: string,
    group: string,
    consumer: string,
    opts: { afterId: string; count: number },
  ): Promise<StoredEvent[]> {
    const key = this.ctx.keys(portalId).events();
    const reply = await this.ctx.conn.xReadGroup(
      group,
      consumer,
      { key, id: opts.afterId },
      { COUNT: opts.count },
    );
    return parseStreams(reply);
  }

  async ack(portalId: string, group: string, ids: readonly string[]) {
    if (!ids.length) return;
    await this.ctx.conn.xAck(this.ctx.keys(portalId).events(), group, [...ids]);
    // Acks are what free entries, so they drive the trim (an O(1) XLEN when the stream is short).
    await this.trimEvents(portalId);
  }

  /**
   * Trims the portal's stream past `trimAbove`, never below any group's oldest pending or never-delivered
   * entry. Returns how many entries were removed. Runs on every ack and every reaper pass.
   */
  async trimEvents(portalId: string): Promise<number> {
    return Number(await this.ctx.run('trim_events', [this.ctx.keys(portalId).events()], [this.trimAbove]));
  }

  async claimStale(
    portalId: string,
    group: string,
    consumer: string,
    opts: { minIdleMs: number; count: number },
  ): Promise<StoredEvent[]> {
    const reply = await this.ctx.conn.xAutoClaim(
      this.ctx.keys(portalId).events(),
      group,
      consumer,
      opts.minIdleMs,
      '0-0',
      { COUNT: opts.count },
    );
    // Redis 7 names the pending entries it found deleted (trimmed) and drops them from the PEL: never silently.
    const deleted = (reply.deletedMessages ?? []).map(String);
    if (deleted.length) {
      this.lostEvents += deleted.length;
      this.onEventsLost(portalId, group, deleted);
    }
    return parseEntries(reply.messages as (StreamEntry | null)[]);
  }

  async tail(portalId: string, afterId: string, opts: { count: number; blockMs: number }) {
    const key = this.ctx.keys(portalId).events();
    const reply = await this.withBlocking(opts.blockMs, (conn) =>
      conn.xRead(
        { key, id: afterId },
        { COUNT: opts.count, ...(opts.blockMs > 0 ? { BLOCK: opts.blockMs } : {}) },
      ),
    );
    return parseStreams(reply);
  }

  close() {
    this.closed = true;
    // destroy, not quit: a blocked XREAD would hold a graceful close until its timeout.
    for (const conn of this.blockingAll) if (conn.isOpen) conn.destroy();
    this.blockingAll.clear();
  }
}

function parseEntries(entries: readonly (StreamEntry | null)[]): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (const entry of entries) {
    // null / no message: deleted by MAXLEN trimming while pending
    const raw = entry?.message?.e;
    if (!entry || raw === undefined) continue;
    out.push({ ...(JSON.parse(String(raw)) as StoredEvent), id: String(entry.id) });
  }
  return out;
}

function parseStreams(reply: unknown): StoredEvent[] {
  if (!reply) return [];
  const streams = reply as { name: string; messages: (StreamEntry | null)[] }[];
  return streams.flatMap((s) => parseEntries(s.messages));
}
