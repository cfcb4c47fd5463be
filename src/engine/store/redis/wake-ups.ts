/**
 * Wake-ups over Redis pub/sub, one channel per portal: a finish, an enrollment or a campaign change wakes the
 * workers of every process at once instead of at their next poll. The subscriber is a connection of its own
 * (a subscribed connection can do nothing else), made on first use, with its own error listener.
 */
import { connectWithin, watchErrors } from './connection.js';
import type { RedisConnection, RedisErrorLog } from './connection.js';
import type { WakeUps } from '../store.js';
import type { RedisContext } from './context.js';

export class RedisWakeUps implements WakeUps {
  private subscriber: Promise<RedisConnection> | null = null;
  private readonly listeners = new Map<string, Set<(reason: string) => void>>();
  private closed = false;

  constructor(
    private readonly ctx: RedisContext,
    private readonly errorLog: RedisErrorLog,
  ) {}

  async wake(portalId: string) {
    await this.ctx.conn.publish(this.ctx.keys(portalId).wakeChannel(), 'wake');
  }

  private connectSubscriber(): Promise<RedisConnection> {
    this.subscriber ??= (async () => {
      const sub = watchErrors(this.ctx.conn.duplicate(), 'wake-up subscriber', this.errorLog);
      await connectWithin(sub);
      return sub;
    })();
    // a failed connect is tried again on the next subscription, not remembered
    this.subscriber.catch(() => {
      this.subscriber = null;
    });
    return this.subscriber;
  }

  async onWake(portalId: string, listener: (reason: string) => void) {
    const channel = this.ctx.keys(portalId).wakeChannel();
    let set = this.listeners.get(channel);
    if (!set) {
      const fresh = new Set<(reason: string) => void>();
      set = fresh;
      this.listeners.set(channel, fresh);
      const sub = await this.connectSubscriber();
      await sub.subscribe(channel, (reason: string) => {
        for (const l of fresh) l(reason);
      });
    }
    const own = set;
    own.add(listener);
    return async () => {
      own.delete(listener);
      if (!own.size && this.listeners.get(channel) === own) {
        this.listeners.delete(channel);
        if (!this.closed) await (await this.connectSubscriber()).unsubscribe(channel);
      }
    };
  }

  async close() {
    this.closed = true;
    const sub = this.subscriber;
    this.subscriber = null;
    if (sub) {
      const conn = await sub.catch(() => null);
      if (conn?.isOpen) conn.destroy();
    }
  }
}
