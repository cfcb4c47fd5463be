/**
 * Do-Not-Call flags as numbers the claim can match. A flag is only as good as its normalization: the portal's
 * DNC set holds E.164 numbers and the claim looks the dialed E.164 number up in it, so a flag kept in any other
 * spelling ("(212) 555-0102", "0113 496 0066") would block nothing. Pure.
 *
 * Rule: read the flagged number in the contact's own country, then in the account's region (as every contact
 * number is read). A flag that neither can read is never dropped: it blocks every number it denotes in any
 * country (over-blocking a few foreign numbers is the safe side) and is reported so someone can fix the record.
 */
import { everyReadingOf, normalizeContactPhone, type PhoneRejectReason } from './phone.js';

export type DncResolution =
  /** One number: the flag was read in the contact's country or the account's region. */
  | { kind: 'exact'; input: string; numbers: [string] }
  /** Not readable in either: every reading in any country is blocked, and the flag is reported. */
  | { kind: 'conservative'; input: string; reason: PhoneRejectReason; numbers: string[] }
  /** Not a phone number in any country (nothing could ever dial it): kept in the report, never silently lost. */
  | { kind: 'unmatchable'; input: string; reason: PhoneRejectReason; numbers: [] };

export function resolveDoNotCall(
  raw: string,
  context: { country?: string | undefined; defaultRegion: string },
): DncResolution {
  const parsed = normalizeContactPhone(raw, context);
  if (parsed.ok) return { kind: 'exact', input: raw, numbers: [parsed.phone.e164] };
  const numbers = everyReadingOf(raw);
  return numbers.length > 0
    ? { kind: 'conservative', input: raw, reason: parsed.reason, numbers }
    : { kind: 'unmatchable', input: raw, reason: parsed.reason, numbers: [] };
}
