/**
 * The embedded store's event log: the same semantics as a Redis Stream with consumer groups (ids ordered,
 * at-least-once delivery to a group, pending entries until acked, reclaim of a silent consumer's entries).
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../clock.js';
import type { EngineEvent, EventLog, StoredEvent } from '../events.js';

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
}

export class MemoryEventLog implements EventLog {
  private readonly logs = new Map<string, PortalLog>();
  private readonly emitter = new EventEmitter();
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly maxLen = 100_000,
  ) {
    this.emitter.setMaxListeners(0);
  }

  private log(portalId: string): PortalLog {
    let log = this.logs.get(portalId);
    if (!log) {
      log = { entries: [], index: new Map(), groups: new Map(), lastMs: 0, seq: 0 };
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

  /** Approximate MAXLEN like XADD ~: trims in chunks; pending entries that fall off are simply gone. */
  private trim(log: PortalLog): void {
    const excess = log.entries.length - this.maxLen;
    if (excess < Math.max(1, Math.floor(this.maxLen / 10))) return;
    log.entries.splice(0, excess);
    log.index = new Map(log.entries.map((e, i) => [e.id, i]));
    for (const group of log.groups.values()) {
      group.next = Math.max(0, group.next - excess);
      for (const id of group.pending.keys()) if (!log.index.has(id)) group.pending.delete(id);
    }
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

  async ack(portalId: string, groupName: string, ids: readonly string[]): Promise<void> {
    const group = this.log(portalId).groups.get(groupName);
    for (const id of ids) group?.pending.delete(id);
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
    const startIndex = () => {
      if (afterId === '$') return log.entries.length;
      return log.entries.findIndex((e) => compareIds(e.id, afterId) > 0);
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

/** Orders stream ids `ms-seq` numerically. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || (as ?? 0) - (bs ?? 0);
}
