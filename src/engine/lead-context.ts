/** Builds the domain's view of a lead (rules, location, history) from stored records. */
import { normalizePhone } from '../domain/phone.js';
import type { LeadContext } from '../domain/policy.js';
import type { AttemptHistory } from '../domain/retry.js';
import type { AccountSettings, CampaignSettings } from '../domain/settings.js';
import type { CallingRules, CalleeLocation } from '../domain/windows.js';
import type { LeadProgress } from './store/codec.js';
import { MAX_RECENT_ATTEMPTS } from './store/codec.js';

export function callingRules(settings: CampaignSettings, account: AccountSettings): CallingRules {
  return {
    windows: settings.windows ?? account.windows,
    noCallDates: settings.noCallDates ?? account.noCallDates,
    fallbackZone: settings.timeZone ?? account.timeZone,
  };
}

export function locationOf(
  e164: string,
  zone: string | undefined,
  candidateZones: readonly string[],
): CalleeLocation {
  const parsed = normalizePhone(e164, 'US');
  return {
    ...(zone ? { contactZone: zone } : {}),
    candidateZones,
    ...(parsed.ok ? { country: parsed.phone.country } : {}),
    ...(parsed.ok && parsed.phone.subdivision ? { subdivision: parsed.phone.subdivision } : {}),
  };
}

export function historyOf(p: LeadProgress): AttemptHistory {
  const recent = [...p.recentAttemptTimes].sort((a, b) => a - b);
  return {
    attempts: p.attempts,
    firstAttemptAt: p.firstAttemptAt,
    lastAttemptAt: recent.length ? recent[recent.length - 1]! : null,
    consecutiveTechnicalErrors: p.consecutiveTechnicalErrors,
    recentAttemptTimes: recent,
  };
}

/**
 * The lead's history with the portal-wide dials of its number (every campaign's): the minimum gap and the
 * legal 24 h cap count dials of the number, not of one campaign's lead.
 */
export function withNumberDials(h: AttemptHistory, numberDials: readonly number[]): AttemptHistory {
  if (!numberDials.length) return h;
  const recent = [...new Set([...h.recentAttemptTimes, ...numberDials])].sort((a, b) => a - b);
  return { ...h, recentAttemptTimes: recent, lastAttemptAt: recent[recent.length - 1]! };
}

/** The stored progress after a history change (keeps the few recent times the 24 h rules need). */
export function withHistory(p: LeadProgress, h: AttemptHistory): LeadProgress {
  return {
    ...p,
    attempts: h.attempts,
    firstAttemptAt: h.firstAttemptAt,
    consecutiveTechnicalErrors: h.consecutiveTechnicalErrors,
    recentAttemptTimes: [...h.recentAttemptTimes].slice(-MAX_RECENT_ATTEMPTS),
  };
}

export function leadContext(
  settings: CampaignSettings,
  account: AccountSettings,
  location: CalleeLocation,
  history: AttemptHistory,
): LeadContext {
  return {
    rules: callingRules(settings, account),
    location,
    policy: settings.retry,
    history,
    // DNC and live attempts are enforced atomically by the store at claim time.
    doNotCall: false,
    liveAttempt: false,
  };
}
