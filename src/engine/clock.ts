/**
 * Time for the engine and the simulated carrier. Nothing outside the clock reads Date.now(), so tests can pin
 * the calling-window time of day and the demo can run several days in a minute.
 */
export interface Clock {
  now(): number;
  /** Resolves after `ms` of this clock's time (or at once when aborted). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export const realClock: Clock = { now: () => Date.now(), sleep: realSleep };

/** Real time shifted by a fixed offset: pins "now" to a chosen local time of day while pacing stays real. */
export function offsetClock(startAt: number, base: Clock = realClock): Clock {
  const offset = startAt - base.now();
  return { now: () => base.now() + offset, sleep: (ms, signal) => base.sleep(ms, signal) };
}

/**
 * Real time plus an exact offset. Processes that must agree to the millisecond (workers sharing one pacer) use
 * this with the same offset: offsetClock reads the base clock twice, so two processes may differ by 1 ms.
 */
export function shiftedClock(offsetMs: number, base: Clock = realClock): Clock {
  return { now: () => base.now() + offsetMs, sleep: (ms, signal) => base.sleep(ms, signal) };
}

/** Time that runs `speed` times faster than real time from `startAt` (the demo's multi-day campaign). */
export function acceleratedClock(startAt: number, speed: number, base: Clock = realClock): Clock {
  if (!(speed > 0)) throw new RangeError('speed must be positive');
  const realStart = base.now();
  return {
    now: () => startAt + Math.floor((base.now() - realStart) * speed),
    sleep: (ms, signal) => base.sleep(ms / speed, signal),
  };
}
