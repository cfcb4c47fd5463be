/**
 * The compliance preview a manager sees before starting a campaign: how many of its contacts can be called,
 * and why the others cannot. Each contact is judged by the very functions the engine dials with
 * (`mayCallNow`, `firstDialTime`, `dailyCap`), so the preview and the dialer never disagree.
 */
import { legalRuleFor } from './legal.js';
import { dailyCap, firstDialTime, mayCallNow } from './policy.js';
import type { LeadContext } from './policy.js';

export const PREVIEW_HORIZON_MS = 7 * 24 * 3_600_000;
const DAY_MS = 24 * 3_600_000;

export type PreviewVerdict = 'callable' | 'doNotCall' | 'noCallableTime' | 'atDailyCap';

/**
 * One contact with a valid number. At its daily legal cap: as many dials in the last 24 h as the callee's law
 * allows (it may be called again later, but not today). No callable time: no opening within the horizon.
 */
export function previewVerdict(
  now: number,
  lead: LeadContext,
  horizonMs = PREVIEW_HORIZON_MS,
): PreviewVerdict {
  if (lead.doNotCall) return 'doNotCall';
  const cap = dailyCap(lead);
  if (cap !== undefined) {
    const today = lead.history.recentAttemptTimes.filter((t) => t > now - DAY_MS && t <= now).length;
    if (today >= cap) return 'atDailyCap';
  }
  const verdict = mayCallNow(now, lead);
  if (verdict.ok) return 'callable';
  // the earliest opening, without the random spread: the preview must be deterministic
  const first = firstDialTime(now, lead, () => 0);
  return first === null || first > now + horizonMs ? 'noCallableTime' : 'callable';
}

export interface CompliancePreview {
  total: number;
  callable: number;
  invalid: number;
  doNotCall: number;
  noCallableTime: number;
  atDailyCap: number;
  duplicates: number;
  /** Contacts already finished in the campaign (reached, failed, removed): not called again. */
  finished: number;
  /** Capped numbers by jurisdiction and cap, e.g. { 'US-FL': { count: 3, cap: 3 } }. */
  atDailyCapBy: Record<string, { count: number; cap: number }>;
  summary: string;
}

export function emptyPreview(): Omit<CompliancePreview, 'summary'> {
  return {
    total: 0,
    callable: 0,
    invalid: 0,
    doNotCall: 0,
    noCallableTime: 0,
    atDailyCap: 0,
    duplicates: 0,
    finished: 0,
    atDailyCapBy: {},
  };
}

/** Adds one judged contact to the tally. */
export function tallyVerdict(
  tally: Omit<CompliancePreview, 'summary'>,
  verdict: PreviewVerdict,
  lead: LeadContext,
): void {
  tally.total++;
  tally[verdict]++;
  if (verdict === 'atDailyCap') {
    const rule = legalRuleFor(lead.location.country, lead.location.subdivision);
    const entry = (tally.atDailyCapBy[rule.jurisdiction] ??= { count: 0, cap: rule.maxCallsPer24h ?? 0 });
    entry.count++;
  }
}

const JURISDICTION_NAMES: Record<string, string> = { 'US-FL': 'Florida', 'US-OK': 'Oklahoma' };

const fmt = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, one: string, many: string) => `${fmt(n)} ${n === 1 ? one : many}`;

/** "1,240 of 1,300 contacts can be called; 31 invalid numbers, 22 Do-Not-Call, ..." */
export function previewSummary(
  t: Omit<CompliancePreview, 'summary'>,
  horizonMs = PREVIEW_HORIZON_MS,
): string {
  const days = Math.round(horizonMs / DAY_MS);
  const reasons: string[] = [];
  if (t.invalid) reasons.push(plural(t.invalid, 'invalid number', 'invalid numbers'));
  if (t.doNotCall) reasons.push(`${fmt(t.doNotCall)} Do-Not-Call`);
  if (t.duplicates) reasons.push(plural(t.duplicates, 'duplicate number', 'duplicate numbers'));
  if (t.noCallableTime)
    reasons.push(`${fmt(t.noCallableTime)} with no callable time in the next ${days} days`);
  for (const [jurisdiction, { count, cap }] of Object.entries(t.atDailyCapBy)) {
    const where = JURISDICTION_NAMES[jurisdiction] ?? jurisdiction;
    reasons.push(
      `${fmt(count)} ${where} ${count === 1 ? 'number' : 'numbers'} already at ${cap} calls today`,
    );
  }
  if (t.finished) reasons.push(`${fmt(t.finished)} already finished`);
  const head = `${fmt(t.callable)} of ${plural(t.total, 'contact', 'contacts')} can be called`;
  return reasons.length ? `${head}; ${reasons.join(', ')}` : head;
}
