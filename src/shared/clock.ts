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

export interface SimulationClock extends Clock {
  /**
   * Ends the simulation: the driver stops and the clock runs on as `acceleratedClock` would (time at `speed` ×
   * real from here, pending and later sleeps on real timers), so nothing left waiting on it hangs or spins.
   */
  stop(): void;
}

export interface SimulationClockOptions {
  /**
   * Most real time one step may count. Real time spent with the event loop blocked is not simulated time:
   * after a block the clock moves at most this much × speed, so busy code never sees a lease leap by.
   */
  maxStepRealMs?: number;
  /** Longest real wait between two steps while the next timer is far (how smoothly `now()` moves). */
  tickMs?: number;
  /** Monotonic real time in ms (tests inject their own). */
  realNow?: () => number;
}

interface SimTimer {
  at: number;
  seq: number;
  done: boolean;
  fire: () => void;
}

/** Min-heap of timers by (at, seq): equal times fire in registration order. */
class TimerHeap {
  private readonly items: SimTimer[] = [];
  get size() {
    return this.items.length;
  }
  peek(): SimTimer | undefined {
    return this.items[0];
  }
  push(timer: SimTimer) {
    const a = this.items;
    a.push(timer);
    for (let i = a.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }
  pop(): SimTimer | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(x: SimTimer, y: SimTimer): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}

/** setTimeout's longest delay (a longer one fires at once, with a warning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Virtual time for simulations (the demo): `sleep` registers a timer in a heap; a driver fires every timer due
 * at the current time, lets the event loop settle (two setImmediate turns, so microtasks and I/O callbacks of
 * what the timers started run), then moves time to the next timer, but never faster than `speed` × the real
 * time since its previous step. A slow machine therefore runs the simulation slower instead of differently:
 * a callback is handled before time reaches the lease that waits for it, whatever the CPU.
 * `now()` changes only between the driver's steps, so synchronous code sees a constant time.
 */
export function simulationClock(
  startAt: number,
  speed: number,
  options: SimulationClockOptions = {},
): SimulationClock {
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError('speed must be a positive number');
  const maxStepRealMs = options.maxStepRealMs ?? 20;
  const tickMs = options.tickMs ?? 10;
  const realNow = options.realNow ?? (() => performance.now());
  const heap = new TimerHeap();
  let now = Math.floor(startAt);
  let seq = 0;
  let driving = false;
  let stoppedAt: { virtual: number; real: number } | null = null;
  /** Real time up to which speed × real has been spent on advancing. */
  let spentUntil = realNow();

  const virtualNow = () =>
    stoppedAt ? stoppedAt.virtual + Math.floor((realNow() - stoppedAt.real) * speed) : now;

  function fireDue(): void {
    for (let top = heap.peek(); top && (top.done || top.at <= now); top = heap.peek()) {
      heap.pop();
      if (!top.done) top.fire();
    }
  }

  function nextTimer(): SimTimer | undefined {
    for (let top = heap.peek(); top; top = heap.peek()) {
      if (!top.done) return top;
      heap.pop(); // aborted: drop it here rather than search the heap at abort time
    }
    return undefined;
  }

  async function drive(): Promise<void> {
    driving = true;
    try {
      while (!stoppedAt) {
        fireDue();
        await immediate();
        await immediate();
        if (stoppedAt) return;
        let next = nextTimer();
        if (!next) return; // parked: the next sleep() starts the driver again
        let credit = Math.min(realNow() - spentUntil, maxStepRealMs);
        if (credit * speed < next.at - now) {
          await new Promise((resolve) =>
            setTimeout(resolve, Math.max(1, Math.min(tickMs, (next!.at - now) / speed - credit))),
          );
          if (stoppedAt) return;
          next = nextTimer();
          if (!next) continue;
          credit = Math.min(realNow() - spentUntil, maxStepRealMs);
        }
        // Time blocked beyond maxStepRealMs is forfeited, not banked.
        spentUntil = Math.max(spentUntil, realNow() - maxStepRealMs);
        const advance = Math.max(0, Math.min(next.at - now, Math.floor(credit * speed)));
        now += advance;
        spentUntil += advance / speed;
      }
    } finally {
      driving = false;
    }
  }

  function sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    if (stoppedAt) return realSleep(Math.min(MAX_TIMER_MS, ms / speed), signal);
    if (!(ms > 0)) return immediate();
    return new Promise<void>((resolve) => {
      const timer: SimTimer = {
        at: now + Math.ceil(ms),
        seq: seq++,
        done: false,
        fire: () => {
          if (timer.done) return;
          timer.done = true;
          signal?.removeEventListener('abort', timer.fire);
          resolve();
        },
      };
      signal?.addEventListener('abort', timer.fire, { once: true });
      heap.push(timer);
      if (!driving) {
        // A parked driver forfeits the idle real time: it starts counting from its first step.
        spentUntil = realNow();
        void drive();
      }
    });
  }

  return {
    now: virtualNow,
    sleep,
    stop() {
      if (stoppedAt) return;
      stoppedAt = { virtual: now, real: realNow() };
      // Hand the pending timers to real timers, in order, at the same rate. They do not keep the process
      // alive: a simulation that stopped must not be held open by a forgotten long sleep.
      for (let t = heap.pop(); t; t = heap.pop()) {
        if (t.done) continue;
        setTimeout(t.fire, Math.min(MAX_TIMER_MS, Math.max(0, (t.at - now) / speed))).unref();
      }
    },
  };
}
