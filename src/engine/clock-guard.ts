/**
 * Clock skew and legal hours: every compliance time a worker computes (is a lead due, is it inside the callee's
 * legal hours, the carrier deadline, lease expiry) comes from its own clock, so a worker whose clock is wrong
 * would call outside legal hours. The guard measures the worker's clock against the store's shared clock
 * (Redis TIME) and the worker refuses to dial while the difference, plus half the round trip it was measured
 * over, is beyond a bound (2 s by default); its readiness check then names the clock and the measured skew.
 */
import type { Clock } from '../shared/clock.js';
import type { SharedClock } from './store/store.js';

export interface ClockCheckOptions {
  /** Largest difference from the shared clock at which the worker still dials. */
  maxSkewMs: number;
  /** A measurement older than this (real ms) is taken again before the next pass or probe (default 1000). */
  everyMs?: number;
  /** The clock to agree with (default: the store's, Redis TIME). A simulation shifts it with its own time. */
  shared?: SharedClock;
}

export const DEFAULT_MAX_CLOCK_SKEW_MS = 2000;
const DEFAULT_CHECK_EVERY_MS = 1000;

/** The worker's clock is off the shared clock by more than the bound: it does not dial. */
export class ClockSkewError extends Error {
  constructor(skewMs: number, maxSkewMs: number) {
    const direction = skewMs < 0 ? 'behind' : 'ahead of';
    super(
      `worker clock is ${(Math.abs(skewMs) / 1000).toFixed(1)} s ${direction} the shared clock (Redis TIME); ` +
        `the bound is ${(maxSkewMs / 1000).toFixed(1)} s: not dialing until the clock is fixed`,
    );
    this.name = 'ClockSkewError';
  }
}

export class ClockGuard {
  /** Worker clock minus shared clock at the last measurement (ms); null before the first. */
  skewMs: number | null = null;
  /** Half the round trip of the last measurement: how far off the measurement itself may be. */
  uncertaintyMs = 0;
  private measuredAt = -Infinity;
  private readonly everyMs: number;

  private readonly shared: SharedClock;

  constructor(
    store: SharedClock,
    private readonly clock: Clock,
    private readonly options: ClockCheckOptions,
  ) {
    this.shared = options.shared ?? store;
    this.everyMs = options.everyMs ?? DEFAULT_CHECK_EVERY_MS;
  }

  /** Measures the skew now (one TIME round trip); the worker's midpoint is compared with the server's time. */
  async check(): Promise<void> {
    const sentAt = this.clock.now();
    const server = await this.shared.serverTime();
    const receivedAt = this.clock.now();
    this.skewMs = (sentAt + receivedAt) / 2 - server;
    this.uncertaintyMs = Math.max(0, receivedAt - sentAt) / 2;
    this.measuredAt = performance.now();
  }

  /** Measures again when the last measurement is older than `everyMs` (real time: a frozen clock still ages). */
  async refresh(): Promise<void> {
    if (performance.now() - this.measuredAt >= this.everyMs) await this.check();
  }

  /** True when the last measurement puts the worker's clock within the bound (never before a measurement). */
  allowsDialing(): boolean {
    return this.skewMs !== null && Math.abs(this.skewMs) + this.uncertaintyMs <= this.options.maxSkewMs;
  }

  /** The error naming the measured skew, when the worker may not dial; null when it may. */
  refusal(): Error | null {
    if (this.allowsDialing()) return null;
    if (this.skewMs === null)
      return new Error('worker clock not yet checked against the shared clock (Redis TIME)');
    return new ClockSkewError(this.skewMs, this.options.maxSkewMs);
  }

  /** The shared clock's time as this worker best knows it: its own clock corrected by the measured skew. */
  checkedNow(): number {
    return this.clock.now() - (this.skewMs ?? 0);
  }
}
