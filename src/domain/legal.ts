/**
 * Legal calling hours by jurisdiction, in the called person's local time. These bound every calling window:
 * the window rules intersect a campaign's window with these hours, so no setting can widen them. They hold in
 * every zone the callee may be in (the CRM contact's zone and every zone of the number; windows.ts), since a
 * CRM zone may be stale and the law is about where the callee actually is.
 * Pure data + lookup; the engine enforces `maxCallsPer24h`.
 */
import type { TimeOfDay } from './settings.js';

export interface LegalHours {
  start: TimeOfDay;
  end: TimeOfDay;
}

export interface LegalRule {
  /** Which rule applied: 'US', 'US-FL', 'US-OK', 'CA' or 'DEFAULT'. */
  jurisdiction: string;
  /** Monday to Friday. */
  weekday: LegalHours;
  /** Saturday and Sunday. */
  weekend: LegalHours;
  /** Most calls to one person in a rolling 24 hours, where the law sets a limit. */
  maxCallsPer24h?: number;
  /** Where the rule comes from (for the README and the settings card). */
  source: string;
}

const US_TCPA: LegalRule = {
  jurisdiction: 'US',
  weekday: { start: '08:00', end: '21:00' },
  weekend: { start: '08:00', end: '21:00' },
  source: 'TCPA, 47 CFR 64.1200(c)(1): no calls before 8 am or after 9 pm local time',
};

const US_FLORIDA: LegalRule = {
  jurisdiction: 'US-FL',
  weekday: { start: '08:00', end: '20:00' },
  weekend: { start: '08:00', end: '20:00' },
  maxCallsPer24h: 3,
  source: 'Florida Telephone Solicitation Act, Fla. Stat. 501.059(8): 8 am-8 pm, at most 3 calls per 24 h',
};

const US_OKLAHOMA: LegalRule = {
  jurisdiction: 'US-OK',
  weekday: { start: '08:00', end: '20:00' },
  weekend: { start: '08:00', end: '20:00' },
  maxCallsPer24h: 3,
  source: 'Oklahoma Telephone Solicitation Act, 15 O.S. 775C.4: 8 am-8 pm, at most 3 calls per 24 h',
};

const CANADA_CRTC: LegalRule = {
  jurisdiction: 'CA',
  weekday: { start: '09:00', end: '21:30' },
  weekend: { start: '10:00', end: '18:00' },
  source: 'CRTC Unsolicited Telecommunications Rules, Part III: 9 am-9:30 pm weekdays, 10 am-6 pm weekends',
};

/**
 * Any other or unknown country. This is OUR conservative policy, not a cited law: local rules vary and we do
 * not know them all, so we never call outside 08:00-21:00 local time anywhere.
 */
const DEFAULT_POLICY: LegalRule = {
  jurisdiction: 'DEFAULT',
  weekday: { start: '08:00', end: '21:00' },
  weekend: { start: '08:00', end: '21:00' },
  source: 'Autodial policy (not a cited law): 8 am-9 pm local time where no specific rule is known',
};

/** Every rule we apply, for the README and the settings card. */
export const LEGAL_RULES: readonly LegalRule[] = [
  US_TCPA,
  US_FLORIDA,
  US_OKLAHOMA,
  CANADA_CRTC,
  DEFAULT_POLICY,
];

/** US territories in the NANP that libphonenumber reports as countries of their own; the TCPA covers them. */
const US_TERRITORIES = new Set(['PR', 'VI', 'GU', 'AS', 'MP']);

const STRICTER_US_STATES: Readonly<Record<string, LegalRule>> = {
  'US-FL': US_FLORIDA,
  'US-OK': US_OKLAHOMA,
};

/**
 * The rule for a called number's jurisdiction. `country` is ISO 3166-1 alpha-2, `subdivision` ISO 3166-2
 * (e.g. US-FL). The subdivision wins when both are given, since it is the more specific of the two.
 */
export function legalRuleFor(country?: string, subdivision?: string): LegalRule {
  const sub = subdivision?.toUpperCase();
  const stateRule = sub ? STRICTER_US_STATES[sub] : undefined;
  if (stateRule) return stateRule;
  const effectiveCountry = sub?.split('-')[0] ?? country?.toUpperCase();
  if (effectiveCountry === 'US' || (effectiveCountry && US_TERRITORIES.has(effectiveCountry))) return US_TCPA;
  if (effectiveCountry === 'CA') return CANADA_CRTC;
  return DEFAULT_POLICY;
}

/** The legal hours that apply on a local ISO weekday (1 = Monday ... 7 = Sunday). */
export function legalHoursOn(rule: LegalRule, isoWeekday: number): LegalHours {
  return isoWeekday >= 6 ? rule.weekend : rule.weekday;
}
