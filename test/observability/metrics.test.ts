import { describe, it, expect } from '@jest/globals';
import { register as globalRegistry } from 'prom-client';
import { createMetrics } from '../../src/observability/metrics.js';

describe('createMetrics', () => {
  it('counts on its own registry, isolated from other instances and the global one', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.dials.inc({ campaign: 'c1' });
    a.dials.inc({ campaign: 'c1' });
    a.outcomes.inc({ disposition: 'BUSY' });
    a.dueQueueDepth.set({ campaign: 'c1' }, 42);
    a.liveCalls.set(3);
    a.webhookLatencySeconds.observe({ route: '/twilio/status' }, 0.02);
    a.crmRateLimited.inc({ operation: 'recordCall' });
    a.writebackLagSeconds.observe(1.5);
    a.skippedContacts.inc({ reason: 'DNC' }, 2);
    a.pacerWaitSeconds.observe({ campaign: 'c1' }, 0.5);

    const text = await a.registry.metrics();
    expect(text).toContain('autodial_dials_total{campaign="c1"} 2');
    expect(text).toContain('autodial_outcomes_total{disposition="BUSY"} 1');
    expect(text).toContain('autodial_due_queue_depth{campaign="c1"} 42');
    expect(text).toContain('autodial_live_calls 3');
    expect(text).toContain('autodial_webhook_latency_seconds_count{route="/twilio/status"} 1');
    expect(text).toContain('autodial_crm_rate_limited_total{operation="recordCall"} 1');
    expect(text).toContain('autodial_writeback_lag_seconds_sum 1.5');
    expect(text).toContain('autodial_skipped_contacts_total{reason="DNC"} 2');
    expect(text).toContain('autodial_pacer_wait_seconds_count{campaign="c1"} 1');

    expect(await b.registry.metrics()).not.toContain('campaign="c1"');
    expect(await globalRegistry.metrics()).not.toContain('autodial_dials_total');
  });
});
