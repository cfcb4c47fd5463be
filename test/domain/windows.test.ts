import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  checkCallable,
  legalZones,
  localHour,
  localTimeSpans,
  nextOpening,
  resolveZones,
  scheduleInWindow,
} from '../../src/domain/windows.js';
import type { CalleeLocation, CallingRules } from '../../src/domain/windows.js';
import type { CallingWindows, NoCallDate, WeekdayWindow } from '../../src/domain/settings.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

const on = (start: string, end: string): WeekdayWindow => ({ enabled: true, start, end });
const off: WeekdayWindow = { enabled: false, start: '09:00', end: '18:00' };
function everyDay(start: string, end: string): CallingWindows {
  return Object.fromEntries(DAY_NAMES.map((d) => [d, on(start, end)])) as CallingWindows;
}
function rulesOf(windows: CallingWindows, fallbackZone = 'Europe/Berlin', noCallDates: NoCallDate[] = []) {
  return { windows, noCallDates, fallbackZone } satisfies CallingRules;
}
/** An instant given as local wall-clock time in a zone. */
function at(iso: string, zone: string): number {
  const dt = DateTime.fromISO(iso, { zone });
  if (!dt.isValid) throw new Error(`bad test instant ${iso} ${zone}`);
  return dt.toMillis();
}
const utc = (iso: string) => Date.parse(iso);

const newYorker: CalleeLocation = { contactZone: 'America/New_York', candidateZones: [], country: 'US' };

describe('resolveZones', () => {
  it("prefers the contact's own valid zone", () => {
    expect(resolveZones({ contactZone: 'Asia/Tokyo', candidateZones: ['America/Chicago'] }, 'UTC')).toEqual({
      zones: ['Asia/Tokyo'],
      source: 'contact',
    });
  });
  it("falls back to the number's candidate zones, skipping invalid ones and duplicates", () => {
    const loc = {
      contactZone: 'Mars/Olympus',
      candidateZones: ['America/Chicago', 'Nope/Nope', 'America/Chicago'],
    };
    expect(resolveZones(loc, 'UTC')).toEqual({ zones: ['America/Chicago'], source: 'number' });
  });
  it('falls back to the account zone, or to nothing when that is invalid too', () => {
    expect(resolveZones({ candidateZones: [] }, 'Europe/Berlin')).toEqual({
      zones: ['Europe/Berlin'],
      source: 'account',
    });
    expect(resolveZones({ candidateZones: ['Etc/Unknown'] }, 'Not/AZone')).toEqual({
      zones: [],
      source: 'account',
    });
  });
});

describe('legalZones', () => {
  it("is the contact's zone AND every candidate zone of the number, valid and deduplicated", () => {
    const loc = {
      contactZone: 'America/New_York',
      candidateZones: ['America/Los_Angeles', 'Nope/Nope', 'America/New_York'],
    };
    expect(legalZones(loc, 'Europe/Berlin')).toEqual(['America/New_York', 'America/Los_Angeles']);
    // The window is still read in the contact's zone alone.
    expect(resolveZones(loc, 'Europe/Berlin')).toEqual({ zones: ['America/New_York'], source: 'contact' });
  });
  it('is the candidate zones without a valid contact zone, the fallback zone when there is neither', () => {
    expect(legalZones({ contactZone: 'Mars/Olympus', candidateZones: ['Asia/Tokyo'] }, 'UTC')).toEqual([
      'Asia/Tokyo',
    ]);
    expect(legalZones({ contactZone: 'Asia/Tokyo', candidateZones: [] }, 'UTC')).toEqual(['Asia/Tokyo']);
    expect(legalZones({ candidateZones: ['Etc/Unknown'] }, 'Europe/Berlin')).toEqual(['Europe/Berlin']);
    expect(legalZones({ candidateZones: [] }, 'Not/AZone')).toEqual([]);
  });
});

describe('legal hours hold in every zone the callee may be in, even with a stale CRM zone', () => {
  // A 310 (Los Angeles) number whose CRM contact says New York: the window is read in New York (the contact's
  // zone), the law in New York AND Los Angeles, since the callee may really be in Los Angeles.
  const staleNewYork: CalleeLocation = {
    contactZone: 'America/New_York',
    candidateZones: ['America/Los_Angeles'],
    country: 'US',
    subdivision: 'US-CA',
  };

  it('08:30 New York (05:30 Los Angeles) is closed for LEGAL_HOURS in Los Angeles', () => {
    const atHalfPastEight = at('2025-06-11T08:30', 'America/New_York');
    for (const window of [everyDay('08:00', '21:00'), everyDay('09:00', '18:00')]) {
      expect(checkCallable(atHalfPastEight, rulesOf(window), staleNewYork)).toEqual({
        open: false,
        reason: 'LEGAL_HOURS',
        zone: 'America/Los_Angeles',
      });
    }
    // Without the number's zone, the old answer: open (this is the call the law forbids).
    const contactOnly = { ...staleNewYork, candidateZones: [] };
    expect(checkCallable(atHalfPastEight, rulesOf(everyDay('08:00', '21:00')), contactOnly).open).toBe(true);
  });

  it('opens at 08:00 Los Angeles and closes with the window in New York, never the window in Los Angeles', () => {
    const rules = rulesOf(everyDay('09:00', '18:00'));
    const from = at('2025-06-11T08:30', 'America/New_York');
    expect(nextOpening(from, rules, staleNewYork)).toBe(at('2025-06-11T08:00', 'America/Los_Angeles'));
    expect(scheduleInWindow(from, rules, staleNewYork, () => 0)).toBe(
      at('2025-06-11T08:00', 'America/Los_Angeles'),
    );
    // 17:00 New York is 14:00 Los Angeles: open until the New York window closes at 18:00.
    expect(checkCallable(at('2025-06-11T17:00', 'America/New_York'), rules, staleNewYork)).toEqual({
      open: true,
      until: at('2025-06-11T18:00', 'America/New_York'),
    });
    expect(checkCallable(at('2025-06-11T18:30', 'America/New_York'), rules, staleNewYork)).toEqual({
      open: false,
      reason: 'OUTSIDE_WINDOW',
      zone: 'America/New_York',
    });
  });

  it('the other way round: a Los Angeles CRM zone on a 212 number stops at 21:00 New York', () => {
    const rules = rulesOf(everyDay('08:00', '21:00'));
    const staleLosAngeles = {
      contactZone: 'America/Los_Angeles',
      candidateZones: ['America/New_York'],
      country: 'US',
      subdivision: 'US-NY',
    };
    expect(checkCallable(at('2025-06-11T17:30', 'America/Los_Angeles'), rules, staleLosAngeles)).toEqual({
      open: true,
      until: at('2025-06-11T21:00', 'America/New_York'),
    });
    expect(checkCallable(at('2025-06-11T18:30', 'America/Los_Angeles'), rules, staleLosAngeles)).toEqual({
      open: false,
      reason: 'LEGAL_HOURS',
      zone: 'America/New_York',
    });
  });

  it("no-call dates and disabled days are the campaign's, judged on the contact's date only", () => {
    // Tuesday disabled. A candidate zone (Los Angeles, 3 h ahead) adds its legal hours, never its window,
    // weekday or date: those are read in the contact's zone (Honolulu).
    const rules = rulesOf({ ...everyDay('09:00', '23:00'), tuesday: off });
    const loc = { contactZone: 'Pacific/Honolulu', candidateZones: ['America/Los_Angeles'] };
    // Monday 2025-06-09 17:30 Honolulu = 20:30 Los Angeles: Monday in both, open until 21:00 Los Angeles.
    expect(checkCallable(at('2025-06-09T17:30', 'Pacific/Honolulu'), rules, loc)).toEqual({
      open: true,
      until: at('2025-06-09T21:00', 'America/Los_Angeles'),
    });
    // Tuesday 2025-06-10 09:30 Honolulu: the day is disabled in the contact's zone.
    expect(checkCallable(at('2025-06-10T09:30', 'Pacific/Honolulu'), rules, loc)).toEqual({
      open: false,
      reason: 'DAY_DISABLED',
      zone: 'Pacific/Honolulu',
    });
    // Wednesday 2025-06-11 05:30 Honolulu is 08:30 Los Angeles: legal there, yet before 08:00 Honolulu.
    expect(checkCallable(at('2025-06-11T05:30', 'Pacific/Honolulu'), rules, loc)).toEqual({
      open: false,
      reason: 'LEGAL_HOURS',
      zone: 'Pacific/Honolulu',
    });
  });
});

describe('checkCallable: seed examples', () => {
  const berlinAccount = rulesOf(everyDay('09:00', '18:00'), 'Europe/Berlin');

  it('a Berlin account with a 09:00-18:00 window calls a New Yorker 09:00-18:00 New York time', () => {
    // 2025-06-10: both zones on summer time, 6 h apart.
    expect(checkCallable(at('2025-06-10T15:00', 'Europe/Berlin'), berlinAccount, newYorker)).toEqual({
      open: true,
      until: at('2025-06-10T18:00', 'America/New_York'),
    });
    expect(checkCallable(at('2025-06-10T14:59', 'Europe/Berlin'), berlinAccount, newYorker)).toEqual({
      open: false,
      reason: 'OUTSIDE_WINDOW',
      zone: 'America/New_York',
    });
    expect(
      checkCallable(at('2025-06-10T17:59:59.999', 'America/New_York'), berlinAccount, newYorker).open,
    ).toBe(true);
    expect(checkCallable(at('2025-06-10T18:00', 'America/New_York'), berlinAccount, newYorker).open).toBe(
      false,
    );
  });

  it('never calls at 3 AM local time, even with a window open all day', () => {
    const allDay = rulesOf(everyDay('00:00', '24:00'));
    for (const zone of ['America/New_York', 'Europe/London', 'Asia/Kathmandu', 'Pacific/Chatham']) {
      const loc = { contactZone: zone, candidateZones: [] };
      expect(checkCallable(at('2025-02-04T03:00', zone), allDay, loc)).toEqual({
        open: false,
        reason: 'LEGAL_HOURS',
        zone,
      });
    }
  });

  it('a Christmas Day no-call date blocks the whole local day', () => {
    const rules = rulesOf(everyDay('09:00', '18:00'), 'Europe/Berlin', [
      { date: '2025-12-25', label: 'Christmas' },
    ]);
    for (const time of ['09:00', '12:00', '17:59']) {
      expect(checkCallable(at(`2025-12-25T${time}`, 'America/New_York'), rules, newYorker)).toEqual({
        open: false,
        reason: 'NO_CALL_DATE',
        zone: 'America/New_York',
      });
    }
    expect(nextOpening(at('2025-12-25T00:00', 'America/New_York'), rules, newYorker)).toBe(
      at('2025-12-26T09:00', 'America/New_York'),
    );
    // The date is the callee's: 17:00 on the 24th in Los Angeles is already the 25th in Berlin (the account's
    // zone), yet the Angeleno is callable.
    const angeleno = { contactZone: 'America/Los_Angeles', candidateZones: [] };
    expect(checkCallable(at('2025-12-24T17:00', 'America/Los_Angeles'), rules, angeleno).open).toBe(true);
  });

  it('a Florida number at 20:30 local is closed by law even with a 09:00-21:00 window; New York is open', () => {
    const rules = rulesOf(everyDay('09:00', '21:00'));
    const atHalfPastEight = at('2025-06-11T20:30', 'America/New_York');
    const miami = {
      contactZone: 'America/New_York',
      candidateZones: [],
      country: 'US',
      subdivision: 'US-FL',
    };
    const tulsa = { contactZone: 'America/Chicago', candidateZones: [], country: 'US', subdivision: 'US-OK' };
    expect(checkCallable(atHalfPastEight, rules, miami)).toEqual({
      open: false,
      reason: 'LEGAL_HOURS',
      zone: 'America/New_York',
    });
    expect(checkCallable(atHalfPastEight, rules, { ...newYorker, subdivision: 'US-NY' })).toEqual({
      open: true,
      until: at('2025-06-11T21:00', 'America/New_York'),
    });
    expect(checkCallable(at('2025-06-11T20:00', 'America/Chicago'), rules, tulsa).open).toBe(false);
    expect(checkCallable(at('2025-06-11T19:59', 'America/Chicago'), rules, tulsa)).toEqual({
      open: true,
      until: at('2025-06-11T20:00', 'America/Chicago'),
    });
  });

  it('Canada: closed on a Saturday at 18:30 local, open until 21:30 on weekdays', () => {
    const rules = rulesOf(everyDay('08:00', '22:00'));
    const toronto = {
      contactZone: 'America/Toronto',
      candidateZones: [],
      country: 'CA',
      subdivision: 'CA-ON',
    };
    // 2025-06-14 is a Saturday.
    expect(checkCallable(at('2025-06-14T18:30', 'America/Toronto'), rules, toronto)).toEqual({
      open: false,
      reason: 'LEGAL_HOURS',
      zone: 'America/Toronto',
    });
    expect(checkCallable(at('2025-06-14T09:30', 'America/Toronto'), rules, toronto).open).toBe(false);
    expect(checkCallable(at('2025-06-14T10:00', 'America/Toronto'), rules, toronto).open).toBe(true);
    expect(checkCallable(at('2025-06-13T21:15', 'America/Toronto'), rules, toronto)).toEqual({
      open: true,
      until: at('2025-06-13T21:30', 'America/Toronto'),
    });
    expect(checkCallable(at('2025-06-13T08:30', 'America/Toronto'), rules, toronto).open).toBe(false);
  });

  it('a disabled day is closed with DAY_DISABLED, in the callee’s local weekday', () => {
    const rules = rulesOf({ ...everyDay('09:00', '18:00'), sunday: off });
    // Sunday 2025-06-15 10:00 in New York.
    expect(checkCallable(at('2025-06-15T10:00', 'America/New_York'), rules, newYorker)).toEqual({
      open: false,
      reason: 'DAY_DISABLED',
      zone: 'America/New_York',
    });
  });

  it('a toll-free number with many candidate zones is callable only when open in all of them', () => {
    const rules = rulesOf(everyDay('09:00', '18:00'));
    const tollFree = { candidateZones: ['America/New_York', 'America/Los_Angeles'], country: 'US' };
    expect(checkCallable(at('2025-06-11T11:30', 'America/New_York'), rules, tollFree)).toEqual({
      open: false,
      reason: 'OUTSIDE_WINDOW',
      zone: 'America/Los_Angeles',
    });
    // 07:00 in Los Angeles is outside the window too, but the law is reported first: no setting could open it.
    expect(checkCallable(at('2025-06-11T10:00', 'America/New_York'), rules, tollFree)).toEqual({
      open: false,
      reason: 'LEGAL_HOURS',
      zone: 'America/Los_Angeles',
    });
    expect(nextOpening(at('2025-06-11T10:00', 'America/New_York'), rules, tollFree)).toBe(
      at('2025-06-11T09:00', 'America/Los_Angeles'),
    );
    expect(checkCallable(at('2025-06-11T12:00', 'America/New_York'), rules, tollFree)).toEqual({
      open: true,
      until: at('2025-06-11T18:00', 'America/New_York'),
    });
    // New York and Guam (14 h apart) never share a 09:00-18:00 hour.
    expect(
      nextOpening(utc('2025-06-11T00:00Z'), rules, { candidateZones: ['America/New_York', 'Pacific/Guam'] }),
    ).toBeNull();
  });

  it('has no zone to judge when even the fallback zone is invalid', () => {
    const rules = rulesOf(everyDay('09:00', '18:00'), 'Not/AZone');
    const nowhere = { candidateZones: [] };
    expect(checkCallable(utc('2025-06-11T15:00Z'), rules, nowhere)).toEqual({
      open: false,
      reason: 'NO_ZONE',
      zone: 'Not/AZone',
    });
    expect(nextOpening(utc('2025-06-11T15:00Z'), rules, nowhere)).toBeNull();
    expect(scheduleInWindow(utc('2025-06-11T15:00Z'), rules, nowhere, () => 0.5)).toBeNull();
  });
});

describe('DST and midnight', () => {
  const rules = rulesOf(everyDay('09:00', '18:00'));

  it('follows New York across spring-forward and fall-back (local 09:00 moves in UTC)', () => {
    // 2025-03-09 (Sunday) clocks go 02:00 -> 03:00 EDT.
    expect(nextOpening(utc('2025-03-08T00:00Z'), rules, newYorker)).toBe(utc('2025-03-08T14:00Z'));
    expect(nextOpening(utc('2025-03-09T00:00Z'), rules, newYorker)).toBe(utc('2025-03-09T13:00Z'));
    // 2025-11-02 (Sunday) clocks go 02:00 -> 01:00 EST.
    expect(nextOpening(utc('2025-11-01T23:00Z'), rules, newYorker)).toBe(utc('2025-11-02T14:00Z'));
    expect(checkCallable(utc('2025-11-02T13:30Z'), rules, newYorker).open).toBe(false); // 08:30 EST
  });

  it('follows London across its own DST dates, and Berlin/New York in the weeks their DST differs', () => {
    const londoner = { contactZone: 'Europe/London', candidateZones: [] };
    expect(nextOpening(utc('2025-03-29T00:00Z'), rules, londoner)).toBe(utc('2025-03-29T09:00Z'));
    expect(nextOpening(utc('2025-03-30T00:00Z'), rules, londoner)).toBe(utc('2025-03-30T08:00Z'));
    expect(nextOpening(utc('2025-10-25T00:00Z'), rules, londoner)).toBe(utc('2025-10-25T08:00Z'));
    expect(nextOpening(utc('2025-10-26T00:00Z'), rules, londoner)).toBe(utc('2025-10-26T09:00Z'));
    // 2025-03-10: New York already on EDT, Berlin still on CET: 09:00 New York is 14:00 Berlin, not 15:00.
    expect(checkCallable(at('2025-03-10T14:00', 'Europe/Berlin'), rules, newYorker).open).toBe(true);
    expect(checkCallable(at('2025-03-10T13:59', 'Europe/Berlin'), rules, newYorker).open).toBe(false);
  });

  it('maps a local 02:30 on a spring-forward day to 03:00, and a repeated hour to both passes only', () => {
    // New York 2025-03-09: 02:00-03:00 does not exist; 03:00 EDT = 07:00Z.
    expect(localTimeSpans('America/New_York', '2025-03-09', '02:30', '04:00')).toEqual([
      { start: utc('2025-03-09T07:00Z'), end: utc('2025-03-09T08:00Z') },
    ]);
    // London 2025-03-30: 01:00-02:00 does not exist; 02:00 BST = 01:00Z.
    expect(localTimeSpans('Europe/London', '2025-03-30', '01:30', '03:00')).toEqual([
      { start: utc('2025-03-30T01:00Z'), end: utc('2025-03-30T02:00Z') },
    ]);
    // New York 2025-11-02: 01:00-02:00 happens twice (EDT, then EST). 01:30-02:30 is 01:30-02:00 EDT and
    // 01:30-02:30 EST; the early half of the second pass (01:00-01:30 EST) is not "in the window" again.
    expect(localTimeSpans('America/New_York', '2025-11-02', '01:30', '02:30')).toEqual([
      { start: utc('2025-11-02T05:30Z'), end: utc('2025-11-02T06:00Z') },
      { start: utc('2025-11-02T06:30Z'), end: utc('2025-11-02T07:30Z') },
    ]);
    // Lord Howe shifts by 30 minutes: 2025-10-05 02:00 -> 02:30.
    expect(localTimeSpans('Australia/Lord_Howe', '2025-10-05', '02:00', '03:00')).toEqual([
      { start: utc('2025-10-04T15:30Z'), end: utc('2025-10-04T16:00Z') },
    ]);
  });

  it('crosses midnight: a window ending 24:00, a search from 23:50, zones on another date than the account', () => {
    const allDay = rulesOf(everyDay('00:00', '24:00'), 'Europe/Berlin');
    // From 23:50 local Monday, the law opens at 08:00 Tuesday.
    expect(nextOpening(at('2025-06-09T23:50', 'America/New_York'), allDay, newYorker)).toBe(
      at('2025-06-10T08:00', 'America/New_York'),
    );
    expect(checkCallable(at('2025-06-10T20:30', 'America/New_York'), allDay, newYorker)).toEqual({
      open: true,
      until: at('2025-06-10T21:00', 'America/New_York'),
    });
    // Monday disabled, Tuesday enabled: Monday 21:00 in Berlin is already Tuesday 09:00 in Kiritimati (+14).
    const tuesdayOnly = rulesOf({ ...everyDay('09:00', '18:00'), monday: off }, 'Europe/Berlin');
    const kiritimati = { contactZone: 'Pacific/Kiritimati', candidateZones: [] };
    expect(checkCallable(at('2025-06-09T21:00', 'Europe/Berlin'), tuesdayOnly, kiritimati).open).toBe(true);
    // ...while Tuesday 01:00 in Berlin is still Monday 16:00 in Los Angeles.
    const angeleno = { contactZone: 'America/Los_Angeles', candidateZones: [] };
    expect(checkCallable(at('2025-06-10T01:00', 'Europe/Berlin'), tuesdayOnly, angeleno)).toEqual({
      open: false,
      reason: 'DAY_DISABLED',
      zone: 'America/Los_Angeles',
    });
  });
});

describe('nextOpening and scheduleInWindow', () => {
  const rules = rulesOf(everyDay('09:00', '18:00'));

  it('returns the very instant when already open, the exact boundary otherwise', () => {
    const noon = at('2025-06-11T12:00:30.123', 'America/New_York');
    expect(nextOpening(noon, rules, newYorker)).toBe(noon);
    expect(nextOpening(at('2025-06-11T18:00', 'America/New_York'), rules, newYorker)).toBe(
      at('2025-06-12T09:00', 'America/New_York'),
    );
  });

  it('is null when every day is disabled, or nothing opens within the horizon', () => {
    const never = rulesOf(Object.fromEntries(DAY_NAMES.map((d) => [d, off])) as CallingWindows);
    expect(nextOpening(utc('2025-06-11T00:00Z'), never, newYorker)).toBeNull();
    const mondays = rulesOf({
      ...everyDay('09:00', '18:00'),
      ...Object.fromEntries(DAY_NAMES.slice(1).map((d) => [d, off])),
    });
    // Wednesday 2025-06-11: the next Monday is 5 days away.
    expect(nextOpening(at('2025-06-11T12:00', 'America/New_York'), mondays, newYorker, 4)).toBeNull();
    expect(nextOpening(at('2025-06-11T12:00', 'America/New_York'), mondays, newYorker, 6)).toBe(
      at('2025-06-16T09:00', 'America/New_York'),
    );
  });

  it('spreads scheduled calls 0-15 minutes after the opening, clamped to short windows', () => {
    const from = at('2025-06-11T07:00', 'America/New_York');
    const opening = at('2025-06-11T09:00', 'America/New_York');
    expect(scheduleInWindow(from, rules, newYorker, () => 0)).toBe(opening);
    expect(scheduleInWindow(from, rules, newYorker, () => 0.5)).toBe(opening + 450_000);
    expect(scheduleInWindow(from, rules, newYorker, () => 0.999999)).toBe(opening + 15 * MINUTE);
    const short = rulesOf(everyDay('09:00', '09:05'));
    const latest = scheduleInWindow(from, short, newYorker, () => 0.999999)!;
    expect(latest).toBeLessThan(at('2025-06-11T09:05', 'America/New_York'));
    expect(latest).toBeGreaterThanOrEqual(at('2025-06-11T09:04', 'America/New_York'));
    expect(checkCallable(latest, short, newYorker).open).toBe(true);
    // Already callable: no spread at all.
    const noon = at('2025-06-11T12:00', 'America/New_York');
    expect(scheduleInWindow(noon, rules, newYorker, () => 0.9)).toBe(noon);
  });

  it('localHour gives the wall-clock hour and refuses an invalid zone', () => {
    expect(localHour(utc('2025-06-11T12:00Z'), 'America/New_York')).toBe(8);
    expect(localHour(utc('2025-06-11T12:00Z'), 'Asia/Kathmandu')).toBe(17);
    expect(() => localHour(0, 'Not/AZone')).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties, against an independent naive oracle (luxon per instant, its own legal table)
// ---------------------------------------------------------------------------------------------------------

const ZONES = [
  'America/New_York',
  'America/Los_Angeles',
  'America/St_Johns',
  'Europe/London',
  'Europe/Berlin',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'America/Phoenix',
  'Asia/Kolkata',
  'Pacific/Kiritimati',
] as const;

/** Legal minutes-of-day [start, end) by jurisdiction, weekday and weekend, written out again on purpose. */
function oracleLegal(
  country?: string,
  subdivision?: string,
): { weekday: [number, number]; weekend: [number, number] } {
  if (subdivision === 'US-FL' || subdivision === 'US-OK')
    return { weekday: [480, 1200], weekend: [480, 1200] };
  if (country === 'CA') return { weekday: [540, 1290], weekend: [600, 1080] };
  return { weekday: [480, 1260], weekend: [480, 1260] };
}

const validZone = (z: string | undefined): z is string => !!z && DateTime.now().setZone(z).isValid;

/** Where the campaign's window is read: the contact's zone, else the number's zones, else the fallback. */
function oracleWindowZones(loc: CalleeLocation, fallback: string): string[] {
  if (validZone(loc.contactZone)) return [loc.contactZone];
  const fromNumber = loc.candidateZones.filter(validZone);
  if (fromNumber.length) return fromNumber;
  return validZone(fallback) ? [fallback] : [];
}

/** Where the law is enforced: wherever the callee may be, the contact's zone and the number's zones alike. */
function oracleLegalZones(loc: CalleeLocation, fallback: string): string[] {
  const everywhere = [loc.contactZone, ...loc.candidateZones].filter(validZone);
  if (everywhere.length) return everywhere;
  return validZone(fallback) ? [fallback] : [];
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

function localMinute(local: DateTime): number {
  return local.hour * 60 + local.minute + local.second / 60 + local.millisecond / 60_000;
}

function insideLegalHoursIn(t: number, zone: string, loc: CalleeLocation): boolean {
  const legal = oracleLegal(loc.country, loc.subdivision);
  const local = DateTime.fromMillis(t, { zone });
  const [legalStart, legalEnd] = local.weekday >= 6 ? legal.weekend : legal.weekday;
  return localMinute(local) >= legalStart && localMinute(local) < legalEnd;
}

function insideWindowIn(t: number, zone: string, rules: CallingRules): boolean {
  const local = DateTime.fromMillis(t, { zone });
  const window = rules.windows[DAY_NAMES[local.weekday - 1]!];
  const date = `${local.year}-${String(local.month).padStart(2, '0')}-${String(local.day).padStart(2, '0')}`;
  return (
    window.enabled &&
    !rules.noCallDates.some((d) => d.date === date) &&
    localMinute(local) >= minutesOf(window.start) &&
    localMinute(local) < minutesOf(window.end)
  );
}

function oracleOpen(t: number, rules: CallingRules, loc: CalleeLocation): boolean {
  const windowZones = oracleWindowZones(loc, rules.fallbackZone);
  return (
    windowZones.length > 0 &&
    windowZones.every((zone) => insideWindowIn(t, zone, rules)) &&
    oracleLegalZones(loc, rules.fallbackZone).every((zone) => insideLegalHoursIn(t, zone, loc))
  );
}

const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

const windowArb: fc.Arbitrary<WeekdayWindow> = fc
  .tuple(fc.boolean(), fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 1, max: 1440 }))
  .map(([enabled, a, length]) => {
    // Bias towards windows overlapping the day (most real ones do); end clamps at 24:00.
    const start = a;
    const end = Math.min(1440, start + length);
    return { enabled: enabled || a % 3 === 0, start: hhmm(start), end: hhmm(end) };
  });
const windowsArb: fc.Arbitrary<CallingWindows> = fc
  .tuple(windowArb, windowArb, windowArb, windowArb, windowArb, windowArb, windowArb)
  .map((ws) => Object.fromEntries(DAY_NAMES.map((d, i) => [d, ws[i]!])) as CallingWindows);

const YEAR_2024 = utc('2024-01-01T00:00Z');
const YEAR_2030 = utc('2030-01-01T00:00Z');
/** Instants around DST changes in several of the zones, where off-by-an-hour bugs live. */
const DST_CHANGES = [
  '2025-03-09T07:00Z', // New York spring
  '2025-11-02T06:00Z', // New York fall
  '2025-03-30T01:00Z', // Europe spring
  '2025-10-26T01:00Z', // Europe fall
  '2025-04-05T15:00Z', // Lord Howe fall (30 min)
  '2025-10-04T15:30Z', // Lord Howe spring (30 min)
  '2025-04-05T14:00Z', // Chatham fall
  '2025-03-09T05:30Z', // St Johns spring
].map(utc);
const instantArb = fc.oneof(
  fc.integer({ min: YEAR_2024, max: YEAR_2030 }),
  fc
    .tuple(fc.constantFrom(...DST_CHANGES), fc.integer({ min: -3 * DAY, max: 3 * DAY }))
    .map(([t, d]) => t + d),
);

const jurisdictionArb = fc.constantFrom<[string | undefined, string | undefined]>(
  [undefined, undefined],
  ['US', undefined],
  ['US', 'US-NY'],
  ['US', 'US-FL'],
  ['US', 'US-OK'],
  ['CA', 'CA-ON'],
  ['GB', undefined],
  ['IN', undefined],
);

interface Scenario {
  from: number;
  rules: CallingRules;
  loc: CalleeLocation;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    from: instantArb,
    windows: windowsArb,
    // No-call dates near `from`, so they actually get in the way.
    noCallOffsets: fc.array(fc.integer({ min: -1, max: 20 }), { maxLength: 6 }),
    zones: fc.subarray([...ZONES], { minLength: 1, maxLength: 3 }),
    // 'contact+number': a CRM zone (maybe stale) on a number with zones of its own, the first of them may
    // repeat the contact's zone.
    zoneSource: fc.constantFrom('contact', 'number', 'fallback', 'invalid-contact', 'contact+number'),
    repeatContactZone: fc.boolean(),
    jurisdiction: jurisdictionArb,
  })
  .map(({ from, windows, noCallOffsets, zones, zoneSource, repeatContactZone, jurisdiction }) => {
    const noCallDates = noCallOffsets.map((k) => ({
      date: new Date(from + k * DAY).toISOString().slice(0, 10),
    }));
    const [country, subdivision] = jurisdiction;
    const fallbackZone = zoneSource === 'fallback' ? zones[0]! : 'Europe/Berlin';
    const numberZones =
      zoneSource === 'number' || zoneSource === 'invalid-contact'
        ? zones
        : zoneSource === 'contact+number'
          ? zones.slice(repeatContactZone ? 0 : 1)
          : [];
    const loc: CalleeLocation = {
      candidateZones: numberZones,
      ...(zoneSource === 'contact' || zoneSource === 'contact+number' ? { contactZone: zones[0]! } : {}),
      ...(zoneSource === 'invalid-contact' ? { contactZone: 'Mars/Olympus' } : {}),
      ...(country ? { country } : {}),
      ...(subdivision ? { subdivision } : {}),
    };
    return { from, rules: { windows, noCallDates, fallbackZone }, loc };
  });

/** Could a single zone ever open? Some enabled day whose window meets that day's legal hours. */
function someDayOpens(rules: CallingRules, loc: CalleeLocation): boolean {
  const legal = oracleLegal(loc.country, loc.subdivision);
  return DAY_NAMES.some((name, i) => {
    const w = rules.windows[name];
    const [ls, le] = i >= 5 ? legal.weekend : legal.weekday;
    return w.enabled && Math.max(minutesOf(w.start), ls) < Math.min(minutesOf(w.end), le);
  });
}

describe('properties against a naive oracle', () => {
  it('checkCallable agrees with the oracle, and `until` is the exact end of the open span', () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer({ min: 0, max: 7 * DAY }), ({ from, rules, loc }, shift) => {
        const t = from + shift;
        const result = checkCallable(t, rules, loc);
        expect(result.open).toBe(oracleOpen(t, rules, loc));
        if (result.open) {
          expect(result.until).toBeGreaterThan(t);
          expect(oracleOpen(result.until - 1, rules, loc)).toBe(true);
          expect(oracleOpen(result.until, rules, loc)).toBe(false);
          expect(oracleOpen(Math.floor((t + result.until) / 2), rules, loc)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('scheduleInWindow lands inside window, legal hours, enabled days and off no-call dates, in every zone', () => {
    fc.assert(
      fc.property(scenarioArb, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (s, r) => {
        const scheduled = scheduleInWindow(s.from, s.rules, s.loc, () => r);
        const opening = nextOpening(s.from, s.rules, s.loc);
        // (d) null exactly when there is no opening.
        expect(scheduled === null).toBe(opening === null);
        if (scheduled === null || opening === null) return;
        // (a) legal in the contact's zone and in every candidate zone of the number (the fallback zone when
        // there is neither); inside the window, off disabled days and no-call dates, in the window zones.
        expect(scheduled).toBeGreaterThanOrEqual(s.from);
        expect(oracleOpen(scheduled, s.rules, s.loc)).toBe(true);
        const everywhere = [s.loc.contactZone, ...s.loc.candidateZones].filter(validZone);
        for (const zone of everywhere.length ? everywhere : [s.rules.fallbackZone]) {
          expect(insideLegalHoursIn(scheduled, zone, s.loc)).toBe(true);
        }
        for (const zone of oracleWindowZones(s.loc, s.rules.fallbackZone)) {
          expect(insideWindowIn(scheduled, zone, s.rules)).toBe(true);
        }
        // (c) the spread never exceeds 15 minutes after the opening
        expect(scheduled).toBeGreaterThanOrEqual(opening);
        expect(scheduled - opening).toBeLessThanOrEqual(15 * MINUTE);
        if (oracleOpen(s.from, s.rules, s.loc)) expect(scheduled).toBe(s.from);
      }),
      { numRuns: 1500 },
    );
  });

  it('nextOpening is open and minimal: nothing callable in [from, opening), checked minute by minute near it', () => {
    fc.assert(
      fc.property(scenarioArb, ({ from, rules, loc }) => {
        const opening = nextOpening(from, rules, loc);
        if (opening === null) {
          // (d) A single zone with some open weekday always opens within weeks (at most 6 no-call dates).
          const zones = oracleLegalZones(loc, rules.fallbackZone);
          if (zones.length === 1) expect(someDayOpens(rules, loc)).toBe(false);
          // Several zones may simply never overlap: sample the first week every hour.
          for (let t = from; t < from + 7 * DAY; t += HOUR) expect(oracleOpen(t, rules, loc)).toBe(false);
          return;
        }
        expect(opening).toBeGreaterThanOrEqual(from);
        expect(oracleOpen(opening, rules, loc)).toBe(true);
        if (opening === from) return;
        // Exact boundary: the instant just before is closed.
        expect(oracleOpen(opening - 1, rules, loc)).toBe(false);
        const gap = opening - from;
        const samples: number[] = [from];
        if (gap <= 2 * HOUR) {
          for (let t = from; t < opening; t += MINUTE) samples.push(t);
        } else {
          // Every minute of the last hour before the opening, and 150 points spread over the whole gap.
          for (let t = opening - HOUR; t < opening; t += MINUTE) samples.push(t);
          for (let i = 0; i < 150; i++) samples.push(from + Math.floor((gap * i) / 150));
        }
        for (const t of samples) expect(oracleOpen(t, rules, loc)).toBe(false);
      }),
      { numRuns: 400 },
    );
  });
});
