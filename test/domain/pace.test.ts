import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import * as domain from '../../src/domain/index.js';
import { MIN_CALLS_PER_SECOND, suggestPaceAfterQueueing } from '../../src/domain/pace.js';
import * as adapter from '../../src/telephony/twilio/caller-id.js';

describe('suggestPaceAfterQueueing', () => {
  it('is the one rule the domain entry point and the Twilio adapter export', () => {
    expect(domain.suggestPaceAfterQueueing).toBe(suggestPaceAfterQueueing);
    expect(adapter.suggestPaceAfterQueueing).toBe(suggestPaceAfterQueueing);
    expect(adapter.MIN_CALLS_PER_SECOND).toBe(MIN_CALLS_PER_SECOND);
  });

  it('keeps the pace when nothing was queued (or the queue time is not a positive number)', () => {
    expect(suggestPaceAfterQueueing(5, 0)).toBe(5);
    expect(suggestPaceAfterQueueing(5, -10)).toBe(5);
    expect(suggestPaceAfterQueueing(5, Number.NaN)).toBe(5);
  });

  it('never raises the pace, cuts it when calls queue, and more for longer queues', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        (cps, q1, q2) => {
          const a = suggestPaceAfterQueueing(cps, Math.min(q1, q2));
          const b = suggestPaceAfterQueueing(cps, Math.max(q1, q2));
          expect(a).toBeLessThanOrEqual(cps);
          expect(b).toBeLessThanOrEqual(a);
          expect(b).toBeGreaterThanOrEqual(Math.min(cps, MIN_CALLS_PER_SECOND));
          if (cps > 0.2) expect(a).toBeLessThan(cps);
        },
      ),
    );
  });

  it('cuts by 10 % for a short queue and halves the pace for a queue of a second or more', () => {
    expect(suggestPaceAfterQueueing(10, 50)).toBe(9);
    expect(suggestPaceAfterQueueing(10, 1000)).toBe(5);
    expect(suggestPaceAfterQueueing(10, 5000)).toBe(5);
  });

  it('never goes below the floor, nor raises a pace already below it', () => {
    expect(suggestPaceAfterQueueing(0.15, 5000)).toBe(MIN_CALLS_PER_SECOND);
    expect(suggestPaceAfterQueueing(0.05, 5000)).toBe(0.05);
  });
});
