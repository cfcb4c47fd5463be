/**
 * A small in-memory EventLog for tests of the monitor and the CRM writeback, until the engine's memory and
 * Redis stores land. Same contract: ids increase, groups deliver each entry once to one consumer, unacked
 * entries stay pending and can be claimed by another consumer after `minIdleMs` (of `now()`).
 */
import type { EngineEvent, EventLog, StoredEvent } from '../../src/engine/events.js';

interface Group {
  next: number;
  pending: Map<string, { consumer: string; deliveredAt: number }>;
}

export class FakeEventLog implements EventLog {
  readonly entries = new Map<string, StoredEvent[]>();
  readonly groups = new Map<string, Group>();
  private waiters = new Set<() => void>();
  private seq = 0;

  constructor(private readonly now: () => number = () => Date.now()) {}

  async append(portalId: string, event: EngineEvent): Promise<string> {
    this.seq += 1;
    const id = `${this.seq}-0`;
    const list = this.entries.get(portalId) ?? [];
    list.push({ ...event, id } as StoredEvent);
    this.entries.set(portalId, list);
    for (const wake of [...this.waiters]) wake();
    return id;
  }

  async ensureGroup(portalId: string, group: string): Promise<void> {
    const key = `${portalId}/${group}`;
    if (!this.groups.has(key)) this.groups.set(key, { next: 0, pending: new Map() });
  }

  async readGroup(
    portalId: string,
    group: string,
    consumer: string,
    opts: { count: number; blockMs: number },
  ): Promise<StoredEvent[]> {
    const g = this.groups.get(`${portalId}/${group}`);
    if (!g) throw new Error(`NOGROUP ${group}`);
    const take = () => {
      const list = this.entries.get(portalId) ?? [];
      const batch = list.slice(g.next, g.next + opts.count);
      g.next += batch.length;
      for (const e of batch) g.pending.set(e.id, { consumer, deliveredAt: this.now() });
      return batch;
    };
    const first = take();
    if (first.length > 0 || opts.blockMs <= 0) return first;
    await this.wait(opts.blockMs);
    return take();
  }

  async ack(portalId: string, group: string, ids: readonly string[]): Promise<void> {
    const g = this.groups.get(`${portalId}/${group}`);
    for (const id of ids) g?.pending.delete(id);
  }

  async claimStale(
    portalId: string,
    group: string,
    consumer: string,
    opts: { minIdleMs: number; count: number },
  ): Promise<StoredEvent[]> {
    const g = this.groups.get(`${portalId}/${group}`);
    if (!g) return [];
    const list = this.entries.get(portalId) ?? [];
    const claimed: StoredEvent[] = [];
    for (const [id, p] of g.pending) {
      if (claimed.length >= opts.count) break;
      if (this.now() - p.deliveredAt < opts.minIdleMs) continue;
      g.pending.set(id, { consumer, deliveredAt: this.now() });
      const entry = list.find((e) => e.id === id);
      if (entry) claimed.push(entry);
    }
    return claimed;
  }

  async tail(
    portalId: string,
    afterId: string,
    opts: { count: number; blockMs: number },
  ): Promise<StoredEvent[]> {
    const after = afterId === '$' ? this.seq : Number(afterId.split('-')[0]);
    const take = () =>
      (this.entries.get(portalId) ?? [])
        .filter((e) => Number(e.id.split('-')[0]) > after)
        .slice(0, opts.count);
    const first = take();
    if (first.length > 0 || opts.blockMs <= 0) return first;
    await this.wait(opts.blockMs);
    return take();
  }

  pendingCount(portalId: string, group: string): number {
    return this.groups.get(`${portalId}/${group}`)?.pending.size ?? 0;
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
}
