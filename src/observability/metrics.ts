/**
 * Prometheus metrics on a registry of their own (not prom-client's global one), so every test and every
 * embedded instance counts in isolation. Other modules receive the typed `Metrics` object and increment it.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  /** Dials placed, by campaign. */
  readonly dials: Counter<'campaign'>;
  /** Finished attempts, by CRM disposition. */
  readonly outcomes: Counter<'disposition'>;
  /** Seconds the pacer held a due dial back to respect calls-per-second or concurrency. */
  readonly pacerWaitSeconds: Histogram<'campaign'>;
  /** Contacts due now or later that are waiting in the due queue, by campaign. */
  readonly dueQueueDepth: Gauge<'campaign'>;
  /** Calls currently ringing or live. */
  readonly liveCalls: Gauge;
  /** Time to handle one webhook request, by route. */
  readonly webhookLatencySeconds: Histogram<'route'>;
  /** Rate-limit (HTTP 429) answers from the CRM, by operation. */
  readonly crmRateLimited: Counter<'operation'>;
  /** CRM writes by operation and result (ok | error). */
  readonly crmWrites: Counter<'operation' | 'result'>;
  /** Engine time of a finished attempt to the moment its CRM record was written. */
  readonly writebackLagSeconds: Histogram;
  /** Contacts not enrolled or removed, by reason. */
  readonly skippedContacts: Counter<'reason'>;
  /** HTTP requests served, by method, route and status class. */
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
}

export interface MetricsOptions {
  /** Also collect Node process metrics (heap, event loop lag); off in tests to keep the output small. */
  processMetrics?: boolean;
  prefix?: string;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const p = options.prefix ?? 'autodial_';
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: p });
  const registers = [registry];
  return {
    registry,
    dials: new Counter({
      name: `${p}dials_total`,
      help: 'Dials placed',
      labelNames: ['campaign'],
      registers,
    }),
    outcomes: new Counter({
      name: `${p}outcomes_total`,
      help: 'Finished attempts by disposition',
      labelNames: ['disposition'],
      registers,
    }),
    pacerWaitSeconds: new Histogram({
      name: `${p}pacer_wait_seconds`,
      help: 'Time the pacer held a due dial back',
      labelNames: ['campaign'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    }),
    dueQueueDepth: new Gauge({
      name: `${p}due_queue_depth`,
      help: 'Contacts waiting in the due queue',
      labelNames: ['campaign'],
      registers,
    }),
    liveCalls: new Gauge({ name: `${p}live_calls`, help: 'Calls ringing or in progress', registers }),
    webhookLatencySeconds: new Histogram({
      name: `${p}webhook_latency_seconds`,
      help: 'Webhook handling time',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    crmRateLimited: new Counter({
      name: `${p}crm_rate_limited_total`,
      help: 'HTTP 429 answers from the CRM',
      labelNames: ['operation'],
      registers,
    }),
    crmWrites: new Counter({
      name: `${p}crm_writes_total`,
      help: 'CRM writes by operation and result',
      labelNames: ['operation', 'result'],
      registers,
    }),
    writebackLagSeconds: new Histogram({
      name: `${p}writeback_lag_seconds`,
      help: 'Attempt finished (engine time) to CRM record written',
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    }),
    skippedContacts: new Counter({
      name: `${p}skipped_contacts_total`,
      help: 'Contacts not enrolled or removed, by reason',
      labelNames: ['reason'],
      registers,
    }),
    httpRequests: new Counter({
      name: `${p}http_requests_total`,
      help: 'HTTP requests served',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
  };
}
