/**
 * Predictive-dialing figures for `npm run bench`: simulated 8-hour shifts (seeded, discrete-event, see
 * src/simulation/shift.ts) on the same traffic for progressive, power (2 lines per idle agent) and predictive
 * (3 % limit), averaged over several seeds. Figures are computed from the simulated shifts of this run.
 */
import { DEFAULT_SHIFT, simulateShift } from '../simulation/shift.js';
import type { ShiftConfig, ShiftDialMode, ShiftReport } from '../simulation/shift.js';

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

function average(reports: ShiftReport[], pick: (r: ShiftReport) => number): number {
  return Math.round((reports.reduce((sum, r) => sum + pick(r), 0) / reports.length) * 100) / 100;
}

function shifts(traffic: Partial<ShiftConfig>, mode: ShiftDialMode): ShiftReport[] {
  return SEEDS.map((seed) => simulateShift({ ...DEFAULT_SHIFT, ...traffic, seed, mode }));
}

export interface PredictiveFigures {
  figures: Record<string, number>;
  table: string[];
}

export function measurePredictive(): PredictiveFigures {
  const progressive: ShiftDialMode = { mode: 'progressive' };
  const power: ShiftDialMode = { mode: 'power', linesPerAgent: 2 };
  const predictive: ShiftDialMode = { mode: 'predictive', limitPct: 3 };
  const table: string[] = [
    'traffic                  mode          occupancy%  talk min/agent-h  abandon%  max abandon%  dials/h  fallback%',
  ];
  const rows: Record<string, Record<string, ShiftReport[]>> = {};
  const cases: [string, Partial<ShiftConfig>][] = [
    ['10 agents, 20 % answer', { agents: 10, humanAnswerRate: 0.2 }],
    ['5 agents, 20 % answer', { agents: 5, humanAnswerRate: 0.2 }],
    ['10 agents, 5 % answer', { agents: 10, humanAnswerRate: 0.05 }],
    ['30 agents, 20 % answer', { agents: 30, humanAnswerRate: 0.2 }],
  ];
  for (const [name, traffic] of cases) {
    rows[name] = {};
    for (const mode of [progressive, power, predictive]) {
      const reports = shifts(traffic, mode);
      rows[name][mode.mode] = reports;
      table.push(
        [
          name.padEnd(24),
          mode.mode.padEnd(12),
          String(average(reports, (r) => r.occupancyPct)).padStart(10),
          String(average(reports, (r) => r.talkMinutesPerAgentHour)).padStart(17),
          String(average(reports, (r) => r.abandonRatePct)).padStart(9),
          String(Math.max(...reports.map((r) => r.maxAbandonRatePct))).padStart(13),
          String(average(reports, (r) => r.dialsPerHour)).padStart(8),
          String(average(reports, (r) => r.fallbackPct)).padStart(10),
        ].join(' '),
      );
    }
  }
  const main = rows['10 agents, 20 % answer']!;
  const talk = (mode: string) => average(main[mode]!, (r) => r.talkMinutesPerAgentHour);
  const worst = (name: string) => Math.max(...rows[name]!.predictive!.map((r) => r.maxAbandonRatePct));
  return {
    table,
    figures: {
      predictive_occupancy_pct: average(main.predictive!, (r) => r.occupancyPct),
      predictive_abandon_pct: average(main.predictive!, (r) => r.abandonRatePct),
      predictive_max_abandon_pct: worst('10 agents, 20 % answer'),
      progressive_occupancy_pct: average(main.progressive!, (r) => r.occupancyPct),
      power_abandon_pct: average(main.power!, (r) => r.abandonRatePct),
      predictive_talk_min_per_agent_hour: talk('predictive'),
      progressive_talk_min_per_agent_hour: talk('progressive'),
      predictive_talk_gain_pct: Math.round((talk('predictive') / talk('progressive') - 1) * 1000) / 10,
      predictive_5_agents_max_abandon_pct: worst('5 agents, 20 % answer'),
      predictive_5_agents_fallback_pct: average(
        rows['5 agents, 20 % answer']!.predictive!,
        (r) => r.fallbackPct,
      ),
      predictive_5pct_answer_max_abandon_pct: worst('10 agents, 5 % answer'),
      predictive_5pct_answer_fallback_pct: average(
        rows['10 agents, 5 % answer']!.predictive!,
        (r) => r.fallbackPct,
      ),
      predictive_30_agents_occupancy_pct: average(
        rows['30 agents, 20 % answer']!.predictive!,
        (r) => r.occupancyPct,
      ),
    },
  };
}
