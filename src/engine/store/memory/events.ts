/**
 * The embedded store's event log: the same semantics as a Redis Stream with consumer groups (ids ordered,
 * at-least-once delivery to a group, pending entries until acked, reclaim of a silent consumer's entries).
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../../shared/clock.js';
import type { EngineEvent, EventLog, StoredEvent } from '../../events.js';

interface Pending {
  consumer: string;
  deliveredAt: number;
}
interface Group {
  /** Index in the log of the next never-delivered entry. */
  next: number;
  pending: Map<string, Pending>;
}
interface PortalLog {
  entries: StoredEvent[];
  index: Map<string, number>;
  groups: Map<string, Group>;
  lastMs: number;
  seq: number;
  /** Log length before which a trim held up by a consumer is not tried again (0: try at once). */
  nextTrimAt: number;
}

export class MemoryEventLog implements EventLog {
  private readonly logs = new Map<string, PortalLog>();
  private readonly emitter = new EventEmitter();
  private closed = false;
  /** Pending entries found deleted when reclaimed (see RedisStore.lostEvents). */
  lostEvents = 0;

  constructor(
    private readonly clock: Clock,
    private readonly maxLen = 100_000,
  ) {
    this.emitter.setMaxListeners(0);
  }

  private log(portalId: string): PortalLog {
    let log = this.logs.get(portalId);
    if (!log) {
      log = { entries: [], index: new Map(), groups: new Map(), lastMs: 0, seq: 0, nextTrimAt: 0 };
      this.logs.set(portalId, log);
    }
    return log;
  }

  /** Synchronous append, so the memory store can append inside its "atomic" operations. */
  appendSync(portalId: string, event: EngineEvent): string {
    const log = this.log(portalId);
    const ms = Math.max(this.clock.now(), log.lastMs);
    log.seq = ms === log.lastMs ? log.seq + 1 : 0;
    log.lastMs = ms;
    const id = `${ms}-${log.seq}`;
    const stored = { ...event, id } as StoredEvent;
    log.index.set(id, log.entries.length);
    log.entries.push(stored);
    this.trim(log);
    this.emitter.emit(portalId);
    return id;
  }

  /**
   * Like the Redis store's trim: in chunks once the log is past maxLen, but never an entry a group has not
   * delivered or acked (a stream with no group keeps its newest maxLen). A log held up by a slow consumer is
   * looked at again only after another chunk of appends, so a long outage does not cost a scan per append.
   */
  private trim(log: PortalLog): void {
    const chunk = Math.max(1, Math.floor(this.maxLen / 10));
    if (log.entries.length - this.maxLen < chunk || log.entries.length < log.nextTrimAt) return;
    let keepFrom = log.entries.length - this.maxLen;
    if (log.groups.size) {
      keepFrom = log.entries.length;
      for (const group of log.groups.values()) {
        keepFrom = Math.min(keepFrom, group.next);
        // entries join `pending` in delivery order, which is log order (a reclaim keeps a key's place): the
        // first one is the oldest
        const oldest = group.pending.keys().next();
        if (!oldest.done) keepFrom = Math.min(keepFrom, log.index.get(oldest.value) ?? keepFrom);
      }
    }
    const excess = keepFrom;
    if (excess < chunk) {
      log.nextTrimAt = log.entries.length + chunk;
      return;
    }
    log.nextTrimAt = 0;
    log.entries.splice(0, excess);
    log.index = new Map(log.entries.map((e, i) => [e.id, i]));
    for (const group of log.groups.values()) {
      group.next = Math.max(0, group.next - excess);
      for (const id of group.pending.keys()) if (!log.index.has(id)) group.pending.delete(id);
    }
  }

  /** Deletes the entries that match (privacy deletion), as XDEL does: groups forget them too. */
  deleteWhere(portalId: string, match: (event: StoredEvent) => boolean): number {
    const log = this.log(portalId);
    const kept: StoredEvent[] = [];
    const keptBefore: number[] = [];
    for (const e of log.entries) {
      keptBefore.push(kept.length);
      if (!match(e)) kept.push(e);
    }
    const deleted = log.entries.length - kept.length;
    if (!deleted) return 0;
    for (const group of log.groups.values()) {
      group.next = group.next < log.entries.length ? keptBefore[group.next]! : kept.length;
    }
    log.entries = kept;
    log.index = new Map(kept.map((e, i) => [e.id, i]));
    for (const group of log.groups.values())
      for (const id of group.pending.keys()) if (!log.index.has(id)) group.pending.delete(id);
    return deleted;
  }

  async append(portalId: string, event: EngineEvent): Promise<string> {
    return this.appendSync(portalId, event);
  }

  async ensureGroup(portalId: string, group: string): Promise<void> {
    const log = this.log(portalId);
    if (!log.groups.has(group)) log.groups.set(group, { next: 0, pending: new Map() });
  }

  private async waitForEntries(portalId: string, blockMs: number, ready: () => boolean): Promise<void> {
    if (ready() || blockMs <= 0 || this.closed) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(portalId, onAppend);
        this.emitter.off('close', done);
        resolve();
      };
      const onAppend = () => {
        if (ready()) done();
      };
      const timer = setTimeout(done, blockMs);
      this.emitter.on(portalId, onAppend);
      this.emitter.on('close', done);
    });
  }

  async readGroup(
    portalId: string,
    groupName: string,
    consumer: string,
    opts: { count: number; blockMs: number },
  ): Promise<StoredEvent[]> {
    const log = this.log(portalId);
    const group = log.groups.get(groupName);
    if (!group) throw new Error(`NOGROUP: no consumer group ${groupName} for portal ${portalId}`);
    await this.waitForEntries(portalId, opts.blockMs, () => group.next < log.entries.length);
    const batch = log.entries.slice(group.next, group.next + opts.count);
    group.next += batch.length;
    const now = this.clock.now();
    for (const e of batch) group.pending.set(e.id, { consumer, deliveredAt: now });
    return batch;
  }

  async readPending(
    portalId: string,
    groupName: string,
    consumer: string,
    opts: { afterId: string; count: number },
  ): Promise<StoredEvent[]> {
    const log = this.log(portalId);
    const group = log.groups.get(groupName);
    if (!group) throw new Error(`NOGROUP: no consumer group ${groupName} for portal ${portalId}`);
    const ids = [...group.pending]
      .filter(([id, p]) => p.consumer === consumer && compareIds(id, opts.afterId) > 0)
      .map(([id]) => id)
      .sort(compareIds);
    // Like Redis, reading one's history neither redelivers nor resets the entries' idle time.
    return ids.slice(0, opts.count).map((id) => log.entries[log.index.get(id)!]!);
  }

  async ack(portalId: string, groupName: string, ids: readonly string[]): Promise<void> {
    const log = this.log(portalId);
    const group = log.groups.get(groupName);
    for (const id of ids) group?.pending.delete(id);
    // acks are what free entries held by a slow consumer: try the trim again now
    if (ids.length) {
      log.nextTrimAt = 0;
      this.trim(log);
    }
  }

  async claimStale(
    portalId: string,
    groupName: string,
    consumer: string,
    opts: { minIdleMs: number; count: number },
  ): Promise<StoredEvent[]> {
    const log = this.log(portalId);
    const group = log.groups.get(groupName);
    if (!group) throw new Error(`NOGROUP: no consumer group ${groupName} for portal ${portalId}`);
    const now = this.clock.now();
    const claimed: StoredEvent[] = [];
    for (const [id, p] of group.pending) {
      if (claimed.length >= opts.count) break;
      if (now - p.deliveredAt < opts.minIdleMs) continue;
      const at = log.index.get(id);
      if (at === undefined) {
        // cannot happen through trim (it keeps pending entries); counted like the Redis store's deleted ids
        this.lostEvents += 1;
        group.pending.delete(id);
        continue;
      }
      group.pending.set(id, { consumer, deliveredAt: now });
      claimed.push(log.entries[at]!);
    }
    return claimed;
  }

  async tail(
    portalId: string,
    afterId: string,
    opts: { count: number; blockMs: number },
  ): Promise<StoredEvent[]> {
    const log = this.log(portalId);
    // Ids ascend along the log: the first entry after `afterId` is found by its index or a binary search (a
    // scan per append made a growing log quadratic for every waiting reader).
    const startIndex = () => {
      if (afterId === '$') return log.entries.length;
      const known = log.index.get(afterId);
      const first = known !== undefined ? known + 1 : firstAfter(log.entries, afterId);
      return first < log.entries.length ? first : -1;
    };
    const from = afterId === '$' ? log.entries.length : -1;
    const firstNew = () => (from >= 0 ? (from < log.entries.length ? from : -1) : startIndex());
    await this.waitForEntries(portalId, opts.blockMs, () => firstNew() >= 0);
    const start = firstNew();
    return start < 0 ? [] : log.entries.slice(start, start + opts.count);
  }

  close(): void {
    this.closed = true;
    this.emitter.emit('close');
  }
}

/** Index of the first entry whose id is greater than `afterId` (entries.length when none is). */
function firstAfter(entries: readonly StoredEvent[], afterId: string): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareIds(entries[mid]!.id, afterId) > 0) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Orders stream ids `ms-seq` numerically. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || (as ?? 0) - (bs ?? 0);
}
