/**
 * Completing "Place a call" steps. Two loops per portal:
 * - the outcome consumer reads the engine's event stream with its own consumer group (like the CRM writeback:
 *   acked only after its effect is durable, idempotent on redelivery): a reminder lead's final outcome is turned
 *   into output fields stored on every callback waiting for that lead, and queued in the outbox;
 * - the outbox sender calls `automation.actions.callbacksApi.complete` for each queued callback until HubSpot
 *   accepts it (429: its Retry-After, 5xx and network errors: growing backoff), durable in Redis across crashes.
 *   A callback HubSpot refuses for good (400/404: expired or unknown) is dropped with an error log.
 */
import type { Clock } from '../../../shared/clock.js';
import type { EventLog, StoredEvent } from '../../../engine/events.js';
import { FINAL_LEAD_STATES } from '../../../engine/events.js';
import type { Store } from '../../../engine/store/store.js';
import type { Logger } from '../../../observability/logger.js';
import { InboundKeys } from './ports.js';
import type { HubSpotClientProvider, RedisConnection } from './ports.js';
import type { WorkflowCalls } from './workflow-action.js';
import { outputForCall, outputForSkip } from './workflow-outcome.js';
import type { WorkflowOutputFields } from './workflow-outcome.js';

export const WORKFLOW_GROUP = 'hubspot-workflow-actions';
const DONE_TTL_SECONDS = 30 * 86_400;

/** Takes due outbox entries and pushes them a lease into the future, atomically (one sender per entry). */
const CLAIM_DUE = `-- KEYS: 1 outbox zset (callbackId scored by next try time)
-- ARGV: 1 now, 2 lease ms, 3 max entries
-- Result: the callbackIds claimed. Invariant: an entry is sent by one process at a time (until its lease ends).
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(due) do redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), id) end
return due`;

export interface WorkflowCompletionsOptions {
  portalId: string;
  eventLog: EventLog;
  store: Store;
  redis: RedisConnection;
  keyPrefix: string;
  clients: HubSpotClientProvider;
  calls: WorkflowCalls;
  clock: Clock;
  logger: Logger;
  consumer: string;
  blockMs?: number;
  claimIdleMs?: number;
  /** How often the outbox is looked at (real ms). */
  outboxEveryMs?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface WorkflowCompletions {
  readonly stats: { queued: number; completed: number; retried: number; dropped: number };
  /** One pass over the outbox (also run by the loop). */
  sendDue(): Promise<number>;
  stop(): Promise<void>;
}

function statusOf(error: unknown): number | undefined {
  const e = error as { code?: unknown; status?: unknown };
  const code = typeof e?.code === 'number' ? e.code : typeof e?.status === 'number' ? e.status : undefined;
  return code;
}

function retryAfterMs(error: unknown): number | undefined {
  const headers = (error as { headers?: Record<string, string> })?.headers;
  const value = headers?.['retry-after'] ?? headers?.['Retry-After'];
  const seconds = value === undefined ? NaN : Number(value);
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

export function startWorkflowCompletions(o: WorkflowCompletionsOptions): WorkflowCompletions {
  const k = new InboundKeys(o.keyPrefix, o.portalId);
  const log = o.logger.child({ component: 'hubspot-workflow-completions', consumer: o.consumer });
  const stats = { queued: 0, completed: 0, retried: 0, dropped: 0 };
  const abort = new AbortController();
  let stopping = false;
  const base = o.baseBackoffMs ?? 1000;
  const max = o.maxBackoffMs ?? 300_000;

  /** The final outcome of a reminder lead, or null while it may still be dialed. */
  async function outputFor(event: StoredEvent): Promise<WorkflowOutputFields | null> {
    if (event.type === 'attempt.finished') {
      if (!FINAL_LEAD_STATES.includes(event.nextState)) return null;
      const lead = await o.store.getLead(o.portalId, event.campaignId, event.contactId);
      const output = outputForCall(event.category, lead?.progress.attempts ?? 1);
      if (event.doNotCall) output.outcome = 'do_not_call';
      return output;
    }
    if (event.type === 'lead.removed') {
      const lead = await o.store.getLead(o.portalId, event.campaignId, event.contactId);
      return outputForSkip(event.reason, lead?.progress.attempts ?? 0);
    }
    return null;
  }

  async function handle(event: StoredEvent): Promise<void> {
    if (event.type !== 'attempt.finished' && event.type !== 'lead.removed') return;
    if (!event.campaignId.startsWith('wf-')) return;
    const waiting = await o.redis.sMembers(k.leadCallbacks(event.campaignId, event.contactId));
    if (!waiting.length) return;
    const output = await outputFor(event);
    if (!output) return;
    for (const callbackId of waiting) {
      // An outcome older than the execution belongs to an earlier one (this consumer may lag behind).
      const armedAt = Number((await o.redis.hGet(k.callback(callbackId), 'armedAt')) ?? 0);
      if (event.at < armedAt) continue;
      if (await o.calls.queueCompletion(o.portalId, callbackId, output)) stats.queued++;
      await o.redis.sRem(k.leadCallbacks(event.campaignId, event.contactId), callbackId);
    }
  }

  async function handleBatch(batch: readonly StoredEvent[]) {
    for (const event of batch) {
      await handle(event);
      await o.eventLog.ack(o.portalId, WORKFLOW_GROUP, [event.id]);
    }
  }

  async function sendOne(callbackId: string): Promise<void> {
    const raw = await o.redis.hGet(k.callback(callbackId), 'output');
    if (!raw) {
      await o.redis.zRem(k.outbox(), callbackId);
      return;
    }
    const tries = Number((await o.redis.hGet(k.callback(callbackId), 'tries')) ?? 0);
    try {
      const client = await o.clients(o.portalId);
      const output = JSON.parse(raw) as WorkflowOutputFields;
      await client.automation.actions.callbacksApi.complete(callbackId, {
        outputFields: {
          hs_execution_state: output.hs_execution_state,
          outcome: output.outcome,
          confirmed: String(output.confirmed),
          keyPressed: output.keyPressed,
          attempts: String(output.attempts),
        },
      });
      await o.redis.hSet(k.callback(callbackId), 'state', 'completed');
      // Kept a while to recognize late redeliveries of the execution (HubSpot retries for hours, not weeks).
      await o.redis.expire(k.callback(callbackId), DONE_TTL_SECONDS);
      await o.redis.zRem(k.outbox(), callbackId);
      stats.completed++;
    } catch (error) {
      const status = statusOf(error);
      if (status !== undefined && status >= 400 && status < 500 && status !== 429 && status !== 408) {
        log.error({ err: error, callbackId, status }, 'HubSpot refused the completion for good; dropped');
        await o.redis.hSet(k.callback(callbackId), 'state', 'refused');
        await o.redis.expire(k.callback(callbackId), DONE_TTL_SECONDS);
        await o.redis.zRem(k.outbox(), callbackId);
        stats.dropped++;
        return;
      }
      stats.retried++;
      const wait = retryAfterMs(error) ?? Math.min(max, base * 2 ** tries);
      log.warn({ callbackId, status, wait }, 'completion not accepted yet; retrying');
      await o.redis.hSet(k.callback(callbackId), 'tries', String(tries + 1));
      await o.redis.zAdd(k.outbox(), { score: o.clock.now() + wait, value: callbackId });
    }
  }

  async function sendDue(): Promise<number> {
    const due = (await o.redis.eval(CLAIM_DUE, {
      keys: [k.outbox()],
      arguments: [String(o.clock.now()), '60000', '50'],
    })) as string[];
    for (const callbackId of due) await sendOne(callbackId);
    return due.length;
  }

  const sleep = (ms: number) => o.clock.sleep(ms, abort.signal).catch(() => {});

  const consumerLoop = (async () => {
    let recover = true;
    while (!stopping) {
      try {
        if (recover) {
          await o.eventLog.ensureGroup(o.portalId, WORKFLOW_GROUP);
          await handleBatch(
            await o.eventLog.readPending(o.portalId, WORKFLOW_GROUP, o.consumer, {
              afterId: '0',
              count: 100,
            }),
          );
          recover = false;
        }
        let batch = await o.eventLog.claimStale(o.portalId, WORKFLOW_GROUP, o.consumer, {
          minIdleMs: o.claimIdleMs ?? 60_000,
          count: 100,
        });
        if (!batch.length) {
          batch = await o.eventLog.readGroup(o.portalId, WORKFLOW_GROUP, o.consumer, {
            count: 100,
            blockMs: o.blockMs ?? 1000,
          });
        }
        await handleBatch(batch);
      } catch (error) {
        if (stopping) break;
        recover = true;
        log.error({ err: error }, 'workflow outcome consumer error; retrying');
        await sleep(1000);
      }
    }
  })();

  const outboxLoop = (async () => {
    while (!stopping) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.outboxEveryMs ?? 1000);
        abort.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      });
      if (stopping) break;
      try {
        await sendDue();
      } catch (error) {
        log.error({ err: error }, 'workflow outbox error; retrying');
      }
    }
  })();

  return {
    stats,
    sendDue,
    async stop() {
      stopping = true;
      abort.abort();
      await Promise.all([consumerLoop, outboxLoop]);
    },
  };
}
