/**
 * One rate limiter per HubSpot portal, shared by every process through Redis.
 *
 * - Ten-second budget: a rolling window (sorted set of grant times). Bulk work (enrollment, writeback) may use
 *   `tenSecondBudget - interactiveReserve`; interactive requests (a rep's card) may use all of it, so a card
 *   always finds head-room even while a 100,000-contact enrollment saturates the bulk share.
 * - Daily budget: a counter per UTC day.
 * - A 429 sets a portal-wide "paused until" time that every process honours (see `pause`).
 * Inside one process, waiting interactive requests are always granted before waiting bulk ones.
 * Waiting never drops work: `acquire` resolves once the request may go, however long that takes.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import { HubSpotKeys } from './keys.js';
import type { RedisClient } from './redis.js';

export type RequestPriority = 'interactive' | 'bulk';

export interface RateLimitBudget {
  /** Requests per rolling window (HubSpot's TEN_SECONDLY_ROLLING; default 100 per 10 s). */
  tenSecondBudget: number;
  /** Of those, kept free for interactive requests (bulk work never uses them). */
  interactiveReserve: number;
  /** Requests per day (HubSpot's DAILY policy). */
  dailyBudget: number;
  /** Window length; 10,000 ms for HubSpot. */
  windowMs?: number;
}

/**
 * KEYS: [1] window sorted set, [2] today's counter, [3] paused-until
 * ARGV: [1] now (ms), [2] window length (ms), [3] requests allowed in the window for this priority,
 *       [4] daily budget, [5] unique member id, [6] end of the current day (ms)
 * Result: 0 when granted (the request is logged in the window and counted for the day), else the ms to wait.
 * Invariant: the window never holds more than ARGV[3] grants newer than now - window, and the day counter never
 * passes the daily budget; check and record are one atomic step, so concurrent processes cannot overshoot.
 */
const ACQUIRE_LUA = `
local now = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then return paused - now end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - windowMs)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + windowMs - now + 1)
end
local today = tonumber(redis.call('GET', KEYS[2]) or '0')
if today >= tonumber(ARGV[4]) then return math.max(1, tonumber(ARGV[6]) - now) end
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('PEXPIRE', KEYS[1], windowMs * 2)
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], 2 * 86400000)
return 0
`;

/**
 * KEYS: [1] paused-until
 * ARGV: [1] pause until (ms), [2] key lifetime (ms)
 * Result: the paused-until time in force afterwards.
 * Invariant: the pause only ever moves later (a short Retry-After never shortens a DAILY pause).
 */
const PAUSE_LUA = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local wanted = tonumber(ARGV[1])
if wanted > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return wanted
end
return current
`;

export interface PortalRateLimiterOptions {
  redis: RedisClient;
  keyPrefix: string;
  clock: Clock;
  budget: (portalId: string) => RateLimitBudget;
  /** Longest single sleep between tries (default 60 s; a new interactive request wakes the waiter at once). */
  maxSleepMs?: number;
  /** Observes every grant (the bench counts requests per window with it). */
  onGrant?: (portalId: string, priority: RequestPriority, at: number) => void;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface PortalQueue {
  interactive: Waiter[];
  bulk: Waiter[];
  pumping: boolean;
  wake: AbortController;
}

export class PortalRateLimiter {
  private readonly queues = new Map<string, PortalQueue>();
  private readonly maxSleepMs: number;

  constructor(private readonly options: PortalRateLimiterOptions) {
    this.maxSleepMs = options.maxSleepMs ?? 60_000;
  }

  /** Resolves when one request of this priority may be sent to the portal. */
  acquire(portalId: string, priority: RequestPriority): Promise<void> {
    const queue = this.queueOf(portalId);
    const done = new Promise<void>((resolve, reject) => queue[priority].push({ resolve, reject }));
    if (priority === 'interactive') queue.wake.abort();
    if (!queue.pumping) void this.pump(portalId, queue);
    return done;
  }

  /** After a 429: no process sends to the portal before `until`. */
  async pause(portalId: string, until: number): Promise<void> {
    const keys = new HubSpotKeys(this.options.keyPrefix, portalId);
    const lifetime = Math.max(1000, until - this.options.clock.now()) + 60_000;
    await this.options.redis.eval(PAUSE_LUA, {
      keys: [keys.pausedUntil()],
      arguments: [String(Math.ceil(until)), String(Math.ceil(lifetime))],
    });
  }

  private queueOf(portalId: string): PortalQueue {
    let queue = this.queues.get(portalId);
    if (!queue) {
      queue = { interactive: [], bulk: [], pumping: false, wake: new AbortController() };
      this.queues.set(portalId, queue);
    }
    return queue;
  }

  /** One pump per portal and process: interactive waiters first, each grant decided atomically in Redis. */
  private async pump(portalId: string, queue: PortalQueue): Promise<void> {
    queue.pumping = true;
    try {
      while (queue.interactive.length || queue.bulk.length) {
        const priority: RequestPriority = queue.interactive.length ? 'interactive' : 'bulk';
        let waitMs: number;
        try {
          waitMs = await this.tryAcquire(portalId, priority);
        } catch (error) {
          // Redis is unreachable: fail the waiters (the callers' own retries take over), never grant blindly.
          for (const w of [...queue.interactive.splice(0), ...queue.bulk.splice(0)]) w.reject(error);
          return;
        }
        if (waitMs === 0) {
          queue[priority].shift()!.resolve();
          this.options.onGrant?.(portalId, priority, this.options.clock.now());
          continue;
        }
        if (queue.wake.signal.aborted) queue.wake = new AbortController();
        await this.options.clock
          .sleep(Math.min(waitMs, this.maxSleepMs), queue.wake.signal)
          .catch(() => undefined);
      }
    } finally {
      queue.pumping = false;
    }
  }

  private async tryAcquire(portalId: string, priority: RequestPriority): Promise<number> {
    const budget = this.options.budget(portalId);
    const keys = new HubSpotKeys(this.options.keyPrefix, portalId);
    const now = this.options.clock.now();
    const day = new Date(now);
    const dayKey = day.toISOString().slice(0, 10).replaceAll('-', '');
    const dayEnd = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 1);
    const limit =
      priority === 'interactive'
        ? budget.tenSecondBudget
        : Math.max(1, budget.tenSecondBudget - budget.interactiveReserve);
    const result = await this.options.redis.eval(ACQUIRE_LUA, {
      keys: [keys.window(), keys.day(dayKey), keys.pausedUntil()],
      arguments: [
        String(now),
        String(budget.windowMs ?? 10_000),
        String(limit),
        String(budget.dailyBudget),
        `${now}-${randomBytes(6).toString('hex')}`,
        String(dayEnd),
      ],
    });
    return Number(result);
  }
}
