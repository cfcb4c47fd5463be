/**
 * `npm run demo -- --mode predictive`: a seeded agents' shift through the engine (simulated carrier, simulated
 * clock, in-process store, simulated agents who wrap up each call), then the abandonment of each period,
 * occupancy, dials and the controller's fallbacks, with the checks: abandonment at or below the limit in every
 * period, and the store's count agreeing with the calls' outcomes.
 */
import { runEngineShift } from '../simulation/engine-shift.js';
import type { EngineShiftReport } from '../simulation/engine-shift.js';

export interface PredictiveDemoOptions {
  seed: number;
  agents: number;
  hours: number;
  answerRate: number;
  limitPct: number;
  speed: number;
}

export interface PredictiveDemoReport {
  options: PredictiveDemoOptions;
  shift: EngineShiftReport;
  realSeconds: number;
  failures: string[];
}

export async function runPredictiveDemo(
  options: PredictiveDemoOptions,
  out: NodeJS.WritableStream,
): Promise<PredictiveDemoReport> {
  const started = Date.now();
  out.write(
    `Autodial predictive demo: ${options.agents} simulated agents, ${options.hours} h shift, ` +
      `${Math.round(options.answerRate * 100)} % answer rate, limit ${options.limitPct} %, seed ${options.seed}, ` +
      `clock up to x${options.speed}, store: in-process, carrier: simulated\n`,
  );
  const totalMinutes = Math.round(options.hours * 60);
  const shift = await runEngineShift({
    seed: options.seed,
    agents: options.agents,
    hours: options.hours,
    answerRate: options.answerRate,
    // enough leads that the shift never runs dry (about 40 dials per agent-hour at most)
    leads: Math.ceil(options.agents * options.hours * 400),
    mode: { mode: 'predictive', limitPct: options.limitPct },
    speed: options.speed,
    onMinute: (m) => {
      if ((m + 1) % 60 === 0) out.write(`  ${m + 1} of ${totalMinutes} simulated minutes\n`);
    },
  });
  const failures: string[] = [];
  for (const p of shift.periods) {
    if (p.abandoned > (options.limitPct / 100) * p.answered) {
      failures.push(
        `abandonment ${p.ratePct.toFixed(2)} % in the period from ${new Date(p.periodStart).toISOString()} ` +
          `is above the ${options.limitPct} % limit`,
      );
    }
    if (p.answered === 0) failures.push('no call was answered by a person: nothing was measured');
  }
  const tallied = shift.periods.reduce((n, p) => n + p.abandoned, 0);
  if (tallied !== shift.abandonedOutcomes) {
    failures.push(
      `the period tally counts ${tallied} abandoned calls but ${shift.abandonedOutcomes} outcomes say so`,
    );
  }
  return { options, shift, realSeconds: (Date.now() - started) / 1000, failures };
}

export function formatPredictiveReport(r: PredictiveDemoReport): string {
  const s = r.shift;
  const lines = [
    '',
    'Predictive shift',
    `  dials: ${s.dials} (${Math.round(s.dialsPerHour)} per hour); calls connected to agents: ${s.connectedCalls}`,
    ...s.periods.map(
      (p) =>
        `  abandonment, period from ${new Date(p.periodStart).toISOString()}: ${p.abandoned} of ${p.answered} ` +
        `answered by a person = ${p.ratePct.toFixed(2)} % (limit ${r.options.limitPct} %)`,
    ),
    `  occupancy: ${s.occupancyPct.toFixed(1)} % (${s.talkMinutesPerAgentHour.toFixed(1)} talk minutes per agent-hour)`,
    `  pacing (simulated minutes): ${Object.entries(s.pacingMinutes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  real time: ${r.realSeconds.toFixed(1)} s`,
    '',
    'Checks',
    `  abandonment <= limit in every period: ${r.failures.some((f) => f.startsWith('abandonment')) ? 'FAILED' : 'ok'}`,
    `  period tally agrees with the outcomes: ${r.failures.some((f) => f.startsWith('the period tally')) ? 'FAILED' : 'ok'}`,
    r.failures.length === 0 ? 'All checks passed.' : `FAILED:\n  ${r.failures.join('\n  ')}`,
  ];
  return lines.join('\n');
}
