/**
 * Abandoned-call rules: what counts, over which period, and how much over-dialing a campaign has earned.
 *
 * A call is abandoned when a person answers and no agent is connected within 2 seconds; the safe-harbor message
 * (identity and a call-back number) plays instead, and the call counts against the campaign's limit.
 *
 * Periods follow the rules' own wording, measured from the campaign's start:
 *  - US (FTC Telemarketing Sales Rule, 16 CFR 310.4(b)(4)(i)): at most 3 % of the calls answered by a person,
 *    "over the duration of a single calling campaign, if less than 30 days, or separately over each successive
 *    30-day period";
 *  - UK (Ofcom persistent-misuse policy): at most 3 % of live calls per campaign per 24 hours, and a number whose
 *    call was abandoned is not called again within 72 hours unless an agent is guaranteed.
 * Successive periods, not a sliding window: a sliding window cannot be guaranteed by any dialer (a window that
 * starts just before an abandoned call holds that call and almost no answers), while a fixed period only grows,
 * so a budget spent inside it stays spent.
 */
export const ABANDONMENT_RULES = ['ftc-30d', 'ofcom-24h'] as const;
export type AbandonmentRule = (typeof ABANDONMENT_RULES)[number];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const ABANDONMENT_PERIOD_MS: Record<AbandonmentRule, number> = {
  'ftc-30d': 30 * DAY,
  'ofcom-24h': DAY,
};

/** Time after an abandoned call before the same number may be called again with a chance of abandonment. */
export const ABANDONED_NUMBER_QUIET_MS: Record<AbandonmentRule, number> = {
  'ftc-30d': 0,
  'ofcom-24h': 72 * HOUR,
};

/** One call answered by a person: connected to an agent, or abandoned. */
export interface LiveAnswer {
  at: number;
  abandoned: boolean;
}

/** Counts of one period: calls answered by a person (abandoned ones included) and the abandoned ones. */
export interface AbandonmentTally {
  answered: number;
  abandoned: number;
}

export const EMPTY_TALLY: AbandonmentTally = { answered: 0, abandoned: 0 };

/** Start of the period that contains `at`, for a campaign that started at `campaignStart`. */
export function periodStart(rule: AbandonmentRule, campaignStart: number, at: number): number {
  const length = ABANDONMENT_PERIOD_MS[rule];
  if (at < campaignStart) return campaignStart;
  return campaignStart + Math.floor((at - campaignStart) / length) * length;
}

/** The tally of the period that contains `now`. */
export function tallyOfPeriod(
  answers: Iterable<LiveAnswer>,
  rule: AbandonmentRule,
  campaignStart: number,
  now: number,
): AbandonmentTally {
  const from = periodStart(rule, campaignStart, now);
  let answered = 0;
  let abandoned = 0;
  for (const a of answers) {
    if (a.at < from || a.at > now) continue;
    answered += 1;
    if (a.abandoned) abandoned += 1;
  }
  return { answered, abandoned };
}

export function addAnswer(tally: AbandonmentTally, abandoned: boolean): AbandonmentTally {
  return { answered: tally.answered + 1, abandoned: tally.abandoned + (abandoned ? 1 : 0) };
}

/** Abandoned share of calls answered by a person, 0..1 (0 before any answer). */
export function abandonmentRate(tally: AbandonmentTally): number {
  return tally.answered > 0 ? tally.abandoned / tally.answered : 0;
}

/**
 * How many calls may be at risk of abandonment right now (lines in flight beyond the agents guaranteed to take
 * them) such that even if every one of them is answered and abandoned, the period's rate stays at or below the
 * limit: (A + E) / (H + E) <= L  <=>  E <= (L*H - A) / (1 - L). The budget is earned by answered calls, so a new
 * period starts with none (the campaign dials like progressive until it has some).
 */
export function abandonmentHeadroom(tally: AbandonmentTally, limitPct: number): number {
  const limit = limitPct / 100;
  if (!(limit > 0)) return 0;
  if (limit >= 1) return Number.MAX_SAFE_INTEGER;
  const headroom = (limit * tally.answered - tally.abandoned) / (1 - limit);
  // a tiny epsilon keeps 0.03 * 100 - 3 == 0 from reading as -4e-16
  return Math.max(0, Math.floor(headroom + 1e-9));
}

/** Whether a number abandoned at `abandonedAt` may be dialed again at `now` by a dial mode that may abandon. */
export function mayRiskAbandonmentAgain(rule: AbandonmentRule, abandonedAt: number, now: number): boolean {
  return now - abandonedAt >= ABANDONED_NUMBER_QUIET_MS[rule];
}
