import { describe, it, expect } from '@jest/globals';
import { Writable } from 'node:stream';
import { createMetricsObserver } from '../../src/observability/engine-observer.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

describe('createMetricsObserver', () => {
  it('turns the engine hooks into autodial_ metrics', async () => {
    const metrics = createMetrics();
    const { logger } = capturingLogger();
    const observer = createMetricsObserver(metrics, logger);
    observer.dialPlaced('p', 'c1');
    observer.dialPlaced('p', 'c1');
    observer.dialPlaced('p', 'c2');
    observer.attemptFinished('p', 'c1', 'BUSY', 'BUSY');
    observer.attemptFinished('p', 'c1', 'CONNECTED', 'CONVERSATION');
    observer.attemptFinished('p', 'c2', 'CONNECTED', 'CONVERSATION');
    observer.pacerWait('p', 'c1', 1500);
    observer.queueDepth('p', 'c1', 40);
    observer.queueDepth('p', 'c1', 37);
    const text = await metrics.registry.metrics();
    expect(text).toContain('autodial_dials_total{campaign="c1"} 2');
    expect(text).toContain('autodial_dials_total{campaign="c2"} 1');
    expect(text).toContain('autodial_outcomes_total{disposition="CONNECTED"} 2');
    expect(text).toContain('autodial_outcomes_total{disposition="BUSY"} 1');
    expect(text).toContain('autodial_pacer_wait_seconds_sum{campaign="c1"} 1.5');
    expect(text).toContain('autodial_pacer_wait_seconds_bucket{le="2",campaign="c1"} 1');
    expect(text).toContain('autodial_pacer_wait_seconds_bucket{le="1",campaign="c1"} 0');
    expect(text).toContain('autodial_due_queue_depth{campaign="c1"} 37');
  });

  it('logs a lowered pace as a warning and loop errors as errors', async () => {
    const { logger, lines } = capturingLogger();
    const observer = createMetricsObserver(createMetrics(), logger);
    observer.paceLowered('p', 'c1', 10, 5, 'Twilio queued a call for 1200 ms');
    observer.error(new Error('redis went away'));
    logger.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        component: 'engine',
        campaignId: 'c1',
        fromCps: 10,
        toCps: 5,
        msg: 'carrier warning: campaign pace lowered',
      }),
      expect.objectContaining({
        level: 'error',
        err: expect.objectContaining({ message: 'redis went away' }),
        msg: 'engine background loop error',
      }),
    ]);
  });
});
