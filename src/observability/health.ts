/**
 * Liveness and readiness. Liveness says only "the process answers"; readiness runs the injected dependency
 * checks (Redis PING, CRM token) so a load balancer stops sending work to an instance that cannot do it.
 */

/** Resolves when the dependency is usable; rejects (or times out) with the reason when it is not. */
export type HealthCheck = () => Promise<unknown>;

export interface CheckResult {
  name: string;
  ok: boolean;
  /** Why the check failed. */
  error?: string;
}

export interface ReadinessReport {
  ok: boolean;
  checks: CheckResult[];
}

export class HealthCheckTimeout extends Error {
  constructor(name: string, ms: number) {
    super(`${name} did not answer within ${ms} ms`);
    this.name = 'HealthCheckTimeout';
  }
}

/** Runs every check in parallel; one slow dependency cannot hang the probe beyond `timeoutMs`. */
export async function runReadiness(
  checks: Readonly<Record<string, HealthCheck>>,
  options: { timeoutMs?: number } = {},
): Promise<ReadinessReport> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<CheckResult> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(check),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new HealthCheckTimeout(name, timeoutMs)), timeoutMs);
            timer.unref();
          }),
        ]);
        return { name, ok: true };
      } catch (error) {
        return { name, ok: false, error: error instanceof Error ? error.message : String(error) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ok: results.every((r) => r.ok), checks: results };
}

/** "redis" check: PING must answer PONG. */
export function redisPingCheck(redis: { ping(): Promise<string> }): HealthCheck {
  return async () => {
    const answer = await redis.ping();
    if (answer !== 'PONG') throw new Error(`unexpected PING answer: ${answer}`);
  };
}
