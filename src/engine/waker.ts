/** A worker loop's sleep that a wake-up (enroll, resume, pace change, finished call, lease) cuts short. */
import type { Clock } from '../shared/clock.js';

/** A finished call frees a slot; it wakes only workers that would otherwise sleep longer than this. */
const FINISH_WAKE_MIN_SLEEP_MS = 100;

/**
 * Resolves a pending wait early when a wake-up arrives. A finished call ('finish') only matters to a worker
 * waiting for a free slot, which sleeps long; a worker that wakes soon anyway for its next due lead or pacer slot
 * ignores it, so a busy campaign's finishes do not make every worker of every process run a pass.
 */
export class Waker {
  private pending: (() => void) | null = null;
  private woken = false;
  private wakeAt = 0;
  constructor(private readonly clock: Clock) {}
  signal = (reason?: string) => {
    if (reason === 'finish' && this.pending && this.wakeAt - this.clock.now() < FINISH_WAKE_MIN_SLEEP_MS)
      return;
    this.woken = true;
    this.pending?.();
  };
  async sleep(ms: number, stop: AbortSignal): Promise<void> {
    if (this.woken || stop.aborted) {
      this.woken = false;
      return;
    }
    const ac = new AbortController();
    const onStop = () => ac.abort();
    stop.addEventListener('abort', onStop, { once: true });
    this.pending = () => ac.abort();
    this.wakeAt = this.clock.now() + ms;
    await this.clock.sleep(Math.max(0, ms), ac.signal);
    stop.removeEventListener('abort', onStop);
    this.pending = null;
    this.woken = false;
  }
}

/**
 * Lets timers and I/O callbacks run. A memory store answers in microtasks, so without this a busy worker would
 * run pass after pass and starve the carrier's callbacks (whose leases meanwhile run out).
 */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
