/**
 * Reading HubSpot contacts for the dialer: which properties to ask for (only what dialing needs), and turning a
 * HubSpot record into the port's `CrmContact` plus the dialable numbers in the campaign's field order.
 */
import type { CrmContact } from '../crm.js';
import { CONTACT_PROPERTIES } from './properties.js';

export const DEFAULT_PHONE_FIELDS = ['phone', 'mobilephone'] as const;

/** The properties read for enrollment: the phone fields asked for, name, zone, location and the DNC flags. */
export function contactReadProperties(phoneFields: readonly string[]): string[] {
  return [
    ...new Set([
      ...DEFAULT_PHONE_FIELDS,
      ...phoneFields,
      'firstname',
      'lastname',
      'hs_timezone',
      'state',
      'country',
      'hs_email_optout',
      CONTACT_PROPERTIES.doNotCall,
      CONTACT_PROPERTIES.wrongNumber,
      CONTACT_PROPERTIES.wrongNumberPhone,
    ]),
  ];
}

/** HubSpot's `hs_timezone` values look like `america_slash_los_angeles`; the engine wants `America/Los_Angeles`. */
export function ianaZoneOf(hsTimezone: string | null | undefined): string | undefined {
  if (!hsTimezone) return undefined;
  const zone = hsTimezone
    .split('_slash_')
    .map((part) =>
      part
        .split('_')
        .map((w) => (w.length <= 2 && w !== 'es' ? w.toUpperCase() : w.charAt(0).toUpperCase() + w.slice(1)))
        .join('_'),
    )
    .join('/');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
}

export type HubSpotProperties = Record<string, string | null | undefined>;

const truthy = (v: string | null | undefined) => v === 'true' || v === '1' || v === 'yes';

export function toCrmContact(id: string, p: HubSpotProperties): CrmContact {
  const zone = ianaZoneOf(p.hs_timezone);
  return {
    id,
    ...(p.firstname ? { firstName: p.firstname } : {}),
    ...(p.lastname ? { lastName: p.lastname } : {}),
    ...(p.phone ? { phone: p.phone } : {}),
    ...(p.mobilephone ? { mobilePhone: p.mobilephone } : {}),
    ...(zone ? { timeZone: zone } : {}),
    doNotCall: truthy(p[CONTACT_PROPERTIES.doNotCall]),
  };
}

/** The first usable number in the campaign's field order, skipping a number already marked wrong. */
export function pickPhone(p: HubSpotProperties, phoneFields: readonly string[]): string | undefined {
  const wrong = truthy(p[CONTACT_PROPERTIES.wrongNumber])
    ? (p[CONTACT_PROPERTIES.wrongNumberPhone] ?? '')
    : '';
  for (const field of phoneFields) {
    const value = p[field]?.trim();
    if (value && value !== wrong) return value;
  }
  return undefined;
}
