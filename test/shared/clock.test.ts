/**
 * The simulation clock: timers fire in virtual order at their exact virtual time, virtual time never runs
 * ahead of speed × real time (blocked real time is forfeited, not banked), aborts, and stop().
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { simulationClock } from '../../src/shared/clock.js';

const START = 1_900_000_000_000;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const realWait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Real time the test moves by hand. */
function manualRealTime() {
  let t = 1000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** Bounded polling (turns and short real waits) until `condition` holds. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (condition()) return;
    await (i % 2 ? realWait(1) : turn());
  }
  throw new Error(`never happened: ${what}`);
}

describe('simulationClock', () => {
  it('fires every timer at its own virtual time, in (time, registration) order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 1, maxLength: 40 }),
        async (delays) => {
          const clock = simulationClock(START, 1e9);
          const fired: { index: number; at: number }[] = [];
          await Promise.all(
            delays.map((ms, index) => clock.sleep(ms).then(() => fired.push({ index, at: clock.now() }))),
          );
          clock.stop();
          const expected = delays
            .map((ms, index) => ({ index, at: START + ms }))
            .sort((a, b) => a.at - b.at || a.index - b.index);
          expect(fired).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('runs chains of sleeps (a timer started by a timer) in virtual order too', async () => {
    const clock = simulationClock(START, 1e9);
    const log: string[] = [];
    const chain = async (name: string, steps: number[]) => {
      for (const ms of steps) {
        await clock.sleep(ms);
        log.push(`${name}@${clock.now() - START}`);
      }
    };
    await Promise.all([chain('a', [300, 300, 300]), chain('b', [500, 50]), chain('c', [1000])]);
    clock.stop();
    expect(log).toEqual(['a@300', 'b@500', 'b@550', 'a@600', 'a@900', 'c@1000']);
  });

  it('never runs ahead of speed × real time, and a blocked stretch of real time is not banked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 15 }),
        async (realSteps) => {
          const speed = 100;
          const maxStepRealMs = 20;
          const real = manualRealTime();
          const realStart = real.now();
          const clock = simulationClock(START, speed, { realNow: real.now, maxStepRealMs, tickMs: 1 });
          void clock.sleep(1e12); // a far timer keeps the driver stepping
          for (const ms of realSteps) {
            const before = clock.now();
            real.advance(ms); // as if the event loop were blocked for `ms`
            for (let i = 0; i < 6; i++) await turn();
            expect(clock.now() - START).toBeLessThanOrEqual(speed * (real.now() - realStart));
            // However long the block, what it buys is at most one step's worth.
            expect(clock.now() - before).toBeLessThanOrEqual(speed * maxStepRealMs);
          }
          clock.stop();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('moves toward the next timer as real time passes, landing on it exactly', async () => {
    const real = manualRealTime();
    const clock = simulationClock(START, 1000, { realNow: real.now, tickMs: 1 });
    let woke = -1;
    const sleeping = clock.sleep(50_000).then(() => (woke = clock.now()));
    for (let i = 0; i < 10; i++) {
      real.advance(10); // 10 ms real = 10 s virtual at x1000
      await until(() => clock.now() - START >= Math.min(50_000, (i + 1) * 10_000), `step ${i}`);
    }
    await sleeping;
    expect(woke).toBe(START + 50_000);
    clock.stop();
  });

  it('keeps now() constant while synchronous code runs', async () => {
    const clock = simulationClock(START, 1e6);
    void clock.sleep(1e12);
    await turn();
    const before = clock.now();
    const spinUntil = performance.now() + 30;
    while (performance.now() < spinUntil) {
      // busy: the event loop is blocked, so the simulation cannot move
    }
    expect(clock.now()).toBe(before);
    clock.stop();
  });

  it('sleep(0) resolves on the next event-loop turn, after pending microtasks', async () => {
    const clock = simulationClock(START, 1);
    const order: string[] = [];
    const zero = clock.sleep(0).then(() => order.push('sleep(0)'));
    void Promise.resolve().then(() => order.push('microtask'));
    expect(order).toEqual([]);
    await zero;
    expect(order).toEqual(['microtask', 'sleep(0)']);
    expect(clock.now()).toBe(START);
    clock.stop();
  });

  it('an abort resolves the sleep at once, and an aborted timer does not move time', async () => {
    const real = manualRealTime();
    const clock = simulationClock(START, 1000, { realNow: real.now, tickMs: 1 });
    const already = new AbortController();
    already.abort();
    await clock.sleep(60_000, already.signal);
    expect(clock.now()).toBe(START);

    const ac = new AbortController();
    let resolved = false;
    const sleeping = clock.sleep(3_600_000, ac.signal).then(() => (resolved = true));
    real.advance(5);
    await until(() => clock.now() > START, 'time moves toward the timer');
    ac.abort();
    await sleeping;
    expect(resolved).toBe(true);
    const at = clock.now();
    expect(at).toBeLessThan(START + 3_600_000);
    // Nothing left to wait for: the driver parks and time stays put whatever real time does.
    real.advance(1000);
    for (let i = 0; i < 20; i++) await turn();
    await realWait(5);
    expect(clock.now()).toBe(at);
    clock.stop();
  });

  it('stop() hands pending sleeps to real timers and keeps time running at speed', async () => {
    const real = manualRealTime();
    const clock = simulationClock(START, 1000, { realNow: real.now });
    let woke = false;
    const pending = clock.sleep(20_000).then(() => (woke = true)); // 20 ms of real time once stopped
    await turn();
    const stoppedAt = clock.now();
    clock.stop();
    expect(woke).toBe(false);
    await pending;
    expect(woke).toBe(true);
    real.advance(7);
    expect(clock.now()).toBe(stoppedAt + 7000);
    await clock.sleep(5_000); // later sleeps use real timers too: 5 ms
    const aborted = new AbortController();
    const long = clock.sleep(3_600_000, aborted.signal);
    aborted.abort();
    await long;
  });

  it('refuses a speed that is not a positive number', () => {
    expect(() => simulationClock(START, 0)).toThrow(RangeError);
    expect(() => simulationClock(START, Number.NaN)).toThrow(RangeError);
    expect(() => simulationClock(START, Infinity)).toThrow(RangeError);
  });
});
