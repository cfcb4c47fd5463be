/**
 * Calling windows: when may a contact be called? Everything is evaluated on local wall-clock time, in two sets
 * of zones:
 * - the campaign's CALLING WINDOW (enabled days, hours, no-call dates) in the window zones: the contact's own
 *   zone when set and valid, else every candidate zone of the number, else the fallback zone;
 * - the LEGAL HOURS in every zone the callee may actually be in: the contact's zone AND every candidate zone of
 *   the number (the fallback zone when there is neither). The law is about where the callee is, and a CRM zone
 *   may be stale: a New York zone on a Los Angeles number must not allow 05:00 in Los Angeles.
 * A time is callable only when it passes every one of those checks.
 *
 * Pure (time is a parameter, randomness is injected). luxon supplies the time zone rules; the heavy lifting
 * is plain arithmetic over "open spans": for each local date, the instants whose local wall-clock time lies in
 * window ∩ legal hours. A zone's UTC offset is piecewise constant, so within each constant-offset piece a local
 * interval maps to one instant interval; DST gaps and repeated hours fall out of that without special cases.
 */
import { DateTime, IANAZone } from 'luxon';
import { WEEKDAYS, minutesOfDay } from './settings.js';
import type { CallingWindows, NoCallDate, TimeOfDay } from './settings.js';
import { legalHoursOn, legalRuleFor } from './legal.js';

export interface CallingRules {
  windows: CallingWindows;
  noCallDates: readonly NoCallDate[];
  /** The account's (or campaign's) zone, for contacts whose zone is unknown. */
  fallbackZone: string;
}

export interface CalleeLocation {
  /** The contact's own zone from the CRM, if set. */
  contactZone?: string;
  /** From the number (number-zones adapter). */
  candidateZones: readonly string[];
  /** ISO 3166-1 alpha-2 of the number. */
  country?: string;
  /** ISO 3166-2 from the area code, e.g. US-FL. */
  subdivision?: string;
}

export type ClosedReason = 'DAY_DISABLED' | 'OUTSIDE_WINDOW' | 'NO_CALL_DATE' | 'LEGAL_HOURS' | 'NO_ZONE';
export type Openness = { open: true; until: number } | { open: false; reason: ClosedReason; zone: string };

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** Spread of scheduled first calls after an opening, so a campaign's calls do not all fire at 09:00:00. */
const MAX_SPREAD_MS = 15 * MINUTE_MS;
/** Real UTC offsets lie within -12 h..+14 h; these margins cover them with room to spare. */
const OFFSET_MARGIN_MS = 16 * HOUR_MS;
const DEFAULT_HORIZON_DAYS = 400;
/** nextOpening searches this many days at a time (most contacts open within the first chunk). */
const SEARCH_CHUNK_MS = 7 * DAY_MS;

// ---------------------------------------------------------------------------------------------------------
// Zones
// ---------------------------------------------------------------------------------------------------------

// luxon builds an Intl formatter to validate a zone, which is slow; the answer never changes, so memoize it.
const zoneValidity = new Map<string, boolean>();

function isValidZone(zone: string | undefined): zone is string {
  if (zone === undefined || zone === '') return false;
  let valid = zoneValidity.get(zone);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(zone);
    if (zoneValidity.size >= 10_000) zoneValidity.clear();
    zoneValidity.set(zone, valid);
  }
  return valid;
}

/**
 * The zones the campaign's calling window is interpreted in: the contact's own zone if set and valid; else
 * every candidate zone of the number (a toll-free number may ring anywhere); else the fallback zone. `zones` is
 * empty only when even the fallback zone is invalid. The legal hours apply in more zones: see `legalZones`.
 */
export function resolveZones(
  loc: CalleeLocation,
  fallbackZone: string,
): { zones: string[]; source: 'contact' | 'number' | 'account' } {
  if (isValidZone(loc.contactZone)) return { zones: [loc.contactZone], source: 'contact' };
  const candidates = [...new Set(loc.candidateZones.filter(isValidZone))];
  if (candidates.length > 0) return { zones: candidates, source: 'number' };
  return { zones: isValidZone(fallbackZone) ? [fallbackZone] : [], source: 'account' };
}

/**
 * The zones the legal hours are enforced in: every zone the callee may actually be in, i.e. the contact's own
 * zone (if valid) AND every valid candidate zone of the number; the fallback zone only when there is neither.
 * Always includes the window zones (`resolveZones`), so the window never opens where the law is unchecked.
 */
export function legalZones(loc: CalleeLocation, fallbackZone: string): string[] {
  const zones = [...new Set([loc.contactZone, ...loc.candidateZones].filter(isValidZone))];
  if (zones.length > 0) return zones;
  return isValidZone(fallbackZone) ? [fallbackZone] : [];
}

/** The local hour (0-23) at an instant in a zone. Throws on an invalid zone rather than guess. */
export function localHour(atMs: number, zone: string): number {
  const local = DateTime.fromMillis(atMs, { zone });
  if (!local.isValid) throw new RangeError(`invalid time zone or instant: ${zone} @ ${atMs}`);
  return local.hour;
}

// ---------------------------------------------------------------------------------------------------------
// UTC offsets as piecewise-constant functions, with transitions found once per zone and block of time
// ---------------------------------------------------------------------------------------------------------

interface OffsetBlock {
  startOffsetMs: number;
  /** Instants at which the offset changes, ascending, each with the offset from then on. */
  transitions: { at: number; offsetMs: number }[];
}

const OFFSET_BLOCK_MS = 32 * DAY_MS;
/** Offsets are sampled this often and transitions located by bisection; real zones never change twice within it. */
const OFFSET_SAMPLE_MS = 6 * HOUR_MS;
const MAX_CACHED_BLOCKS = 50_000;
// A memo of a pure function of (zone, block): the tz rules do not change while the process runs.
const offsetBlocks = new Map<string, OffsetBlock>();

function offsetBlock(zoneName: string, index: number): OffsetBlock {
  const key = `${zoneName}|${index}`;
  const cached = offsetBlocks.get(key);
  if (cached) return cached;
  const zone = IANAZone.create(zoneName);
  const offsetMsAt = (t: number) => zone.offset(t) * MINUTE_MS;
  const start = index * OFFSET_BLOCK_MS;
  const end = start + OFFSET_BLOCK_MS;
  const block: OffsetBlock = { startOffsetMs: offsetMsAt(start), transitions: [] };
  let before = start;
  let beforeOffset = block.startOffsetMs;
  for (let sample = start + OFFSET_SAMPLE_MS; sample <= end; sample += OFFSET_SAMPLE_MS) {
    const sampleOffset = offsetMsAt(sample);
    if (sampleOffset !== beforeOffset) {
      let lo = before;
      let hi = sample;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetMsAt(mid) === beforeOffset) lo = mid;
        else hi = mid;
      }
      // A transition exactly at `end` belongs to the next block (its startOffsetMs).
      if (hi < end) block.transitions.push({ at: hi, offsetMs: sampleOffset });
    }
    before = sample;
    beforeOffset = sampleOffset;
  }
  if (offsetBlocks.size >= MAX_CACHED_BLOCKS) offsetBlocks.clear();
  offsetBlocks.set(key, block);
  return block;
}

function offsetAt(zone: string, t: number): number {
  const block = offsetBlock(zone, Math.floor(t / OFFSET_BLOCK_MS));
  let offset = block.startOffsetMs;
  for (const transition of block.transitions) {
    if (transition.at > t) break;
    offset = transition.offsetMs;
  }
  return offset;
}

interface OffsetPiece {
  from: number;
  to: number;
  offsetMs: number;
}

/** The constant-offset pieces covering instants [from, to). */
function offsetPieces(zone: string, from: number, to: number): OffsetPiece[] {
  const pieces: OffsetPiece[] = [];
  let pieceStart = from;
  let offset = offsetAt(zone, from);
  const lastBlock = Math.floor((to - 1) / OFFSET_BLOCK_MS);
  for (let index = Math.floor(from / OFFSET_BLOCK_MS); index <= lastBlock; index++) {
    for (const transition of offsetBlock(zone, index).transitions) {
      if (transition.at <= from || transition.at >= to) continue;
      pieces.push({ from: pieceStart, to: transition.at, offsetMs: offset });
      pieceStart = transition.at;
      offset = transition.offsetMs;
    }
  }
  pieces.push({ from: pieceStart, to, offsetMs: offset });
  return pieces;
}

// ---------------------------------------------------------------------------------------------------------
// Rules compiled per local weekday: window ∩ legal hours, in ms since local midnight
// ---------------------------------------------------------------------------------------------------------

interface LocalRange {
  start: number;
  end: number;
}

interface DayPlan {
  enabled: boolean;
  window: LocalRange;
  legal: LocalRange;
  /** window ∩ legal; null when empty or the day is disabled. */
  open: LocalRange | null;
}

interface ZonePlan {
  zone: string;
  /** The campaign's window applies here (a window zone); the legal hours apply in every planned zone. */
  appliesWindow: boolean;
}

interface Plan {
  /** Every legal zone, window zones first. */
  zones: ZonePlan[];
  /** Index 1 (Monday) to 7 (Sunday), ISO weekdays. */
  days: DayPlan[];
  /** Local dates nobody is called on, as days since 1970-01-01. */
  noCallDays: Set<number>;
}

const msOfDay = (time: string) => minutesOfDay(time) * MINUTE_MS;

/** Days since 1970-01-01 of a YYYY-MM-DD date, or undefined when it is not a real calendar date. */
function epochDayOf(isoDate: string): number | undefined {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  const ms = Date.UTC(y, m - 1, d);
  const date = new Date(ms);
  // Date.UTC rolls 2025-02-30 over to March; such a date never occurs locally, so it blocks nothing.
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d)
    return undefined;
  return ms / DAY_MS;
}

/** ISO weekday (1 = Monday ... 7 = Sunday) of a day count since 1970-01-01, which was a Thursday. */
function isoWeekdayOfEpochDay(epochDay: number): number {
  return ((((epochDay + 3) % 7) + 7) % 7) + 1;
}

function compilePlan(rules: CallingRules, loc: CalleeLocation): Plan {
  const legalRule = legalRuleFor(loc.country, loc.subdivision);
  const days: DayPlan[] = [];
  WEEKDAYS.forEach((name, i) => {
    const isoWeekday = i + 1;
    const configured = rules.windows[name];
    const legalHours = legalHoursOn(legalRule, isoWeekday);
    const window = { start: msOfDay(configured.start), end: msOfDay(configured.end) };
    const legal = { start: msOfDay(legalHours.start), end: msOfDay(legalHours.end) };
    const start = Math.max(window.start, legal.start);
    const end = Math.min(window.end, legal.end);
    days[isoWeekday] = {
      enabled: configured.enabled,
      window,
      legal,
      open: configured.enabled && start < end ? { start, end } : null,
    };
  });
  const noCallDays = new Set<number>();
  for (const { date } of rules.noCallDates) {
    const day = epochDayOf(date);
    if (day !== undefined) noCallDays.add(day);
  }
  const windowZones = resolveZones(loc, rules.fallbackZone).zones;
  const legalOnly = legalZones(loc, rules.fallbackZone).filter((zone) => !windowZones.includes(zone));
  const zones: ZonePlan[] = [
    ...windowZones.map((zone) => ({ zone, appliesWindow: true })),
    ...legalOnly.map((zone) => ({ zone, appliesWindow: false })),
  ];
  return { zones, days, noCallDays };
}

// ---------------------------------------------------------------------------------------------------------
// Open spans: half-open instant intervals [start, end)
// ---------------------------------------------------------------------------------------------------------

interface Span {
  start: number;
  end: number;
}

function mergeTouching(spans: Span[]): Span[] {
  spans.sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

/**
 * Open spans in one zone for the local dates firstDay..lastDay (days since 1970-01-01), complete, not clipped:
 * window ∩ legal hours off no-call dates in a window zone, the legal hours alone elsewhere.
 */
function zoneSpans(plan: Plan, { zone, appliesWindow }: ZonePlan, firstDay: number, lastDay: number): Span[] {
  const spans: Span[] = [];
  for (let day = firstDay; day <= lastDay; day++) {
    const dayPlan = plan.days[isoWeekdayOfEpochDay(day)]!;
    if (appliesWindow && plan.noCallDays.has(day)) continue;
    const open = appliesWindow ? dayPlan.open : dayPlan.legal;
    if (!open) continue;
    // The day's open range as "local wall-clock ms treated as UTC"; an instant t is in it iff t + offset(t) is.
    spans.push(...localRangeSpans(zone, day * DAY_MS + open.start, day * DAY_MS + open.end));
  }
  return mergeTouching(spans);
}

/**
 * The instants whose local wall-clock time in `zone` lies in [localStart, localEnd) ("local ms treated as
 * UTC"). Within each constant-offset piece that is one interval, so a DST gap shortens the range and a
 * repeated hour yields the matching instants of both passes, never an extra early one.
 */
function localRangeSpans(zone: string, localStart: number, localEnd: number): Span[] {
  const spans: Span[] = [];
  for (const piece of offsetPieces(zone, localStart - OFFSET_MARGIN_MS, localEnd + OFFSET_MARGIN_MS)) {
    const start = Math.max(piece.from, localStart - piece.offsetMs);
    const end = Math.min(piece.to, localEnd - piece.offsetMs);
    if (start < end) spans.push({ start, end });
  }
  return mergeTouching(spans);
}

/**
 * The instants at which local time in `zone` on `isoDate` (YYYY-MM-DD) is within [start, end), as half-open
 * [start, end) epoch-ms spans. Exposed for showing windows in UTC and for testing DST handling directly: the
 * legal hours (never before 08:00) keep real windows away from the night-time DST transitions.
 */
export function localTimeSpans(
  zone: string,
  isoDate: string,
  start: TimeOfDay,
  end: TimeOfDay,
): { start: number; end: number }[] {
  const day = epochDayOf(isoDate);
  if (day === undefined || !isValidZone(zone)) return [];
  return localRangeSpans(zone, day * DAY_MS + msOfDay(start), day * DAY_MS + msOfDay(end));
}

/** The local dates whose open spans may overlap instants [from, to), whatever the zone's offset. */
function localDaysAround(from: number, to: number): [number, number] {
  return [Math.floor((from - OFFSET_MARGIN_MS) / DAY_MS), Math.floor((to + OFFSET_MARGIN_MS) / DAY_MS)];
}

function intersect(a: readonly Span[], b: readonly Span[]): Span[] {
  const out: Span[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    const start = Math.max(x.start, y.start);
    const end = Math.min(x.end, y.end);
    if (start < end) out.push({ start, end });
    if (x.end < y.end) i++;
    else j++;
  }
  return out;
}

function openSpans(plan: Plan, from: number, to: number): Span[] {
  const [firstDay, lastDay] = localDaysAround(from, to);
  return plan.zones
    .map((zone) => zoneSpans(plan, zone, firstDay, lastDay))
    .reduce((acc, spans) => intersect(acc, spans));
}

/** The local date (days since 1970-01-01), its plan and the ms since local midnight of an instant in a zone. */
function localDayAt(plan: Plan, zone: string, atMs: number) {
  const local = atMs + offsetAt(zone, atMs);
  const day = Math.floor(local / DAY_MS);
  return { day, dayPlan: plan.days[isoWeekdayOfEpochDay(day)]!, timeOfDay: local - day * DAY_MS };
}

/**
 * Why `atMs` is closed, and where. The law comes first: LEGAL_HOURS whenever the legal hours block in some
 * zone the callee may be in, since no setting could open that time; else the window's own reason in the first
 * window zone that blocks.
 */
function closedReason(plan: Plan, atMs: number): { reason: ClosedReason; zone: string } {
  for (const { zone } of plan.zones) {
    const { dayPlan, timeOfDay } = localDayAt(plan, zone, atMs);
    if (timeOfDay < dayPlan.legal.start || timeOfDay >= dayPlan.legal.end)
      return { reason: 'LEGAL_HOURS', zone };
  }
  for (const { zone, appliesWindow } of plan.zones) {
    if (!appliesWindow) continue;
    const { day, dayPlan, timeOfDay } = localDayAt(plan, zone, atMs);
    if (plan.noCallDays.has(day)) return { reason: 'NO_CALL_DATE', zone };
    if (!dayPlan.enabled) return { reason: 'DAY_DISABLED', zone };
    if (timeOfDay < dayPlan.window.start || timeOfDay >= dayPlan.window.end) {
      return { reason: 'OUTSIDE_WINDOW', zone };
    }
  }
  // Unreachable: a closed instant fails the legal hours or the window somewhere. Err on the side of the law.
  return { reason: 'LEGAL_HOURS', zone: plan.zones[0]!.zone };
}

// ---------------------------------------------------------------------------------------------------------
// Public rules
// ---------------------------------------------------------------------------------------------------------

/**
 * Whether the callee may be called at `atMs`: inside the window in every window zone and inside the legal
 * hours in every zone the callee may be in. When open, `until` is the first instant after `atMs` at which that
 * stops (in the earliest-closing zone). When closed, says why and in which zone (LEGAL_HOURS first).
 */
export function checkCallable(atMs: number, rules: CallingRules, loc: CalleeLocation): Openness {
  const plan = compilePlan(rules, loc);
  if (plan.zones.length === 0) return { open: false, reason: 'NO_ZONE', zone: rules.fallbackZone };
  const [firstDay, lastDay] = localDaysAround(atMs, atMs + 1);
  let until = Number.POSITIVE_INFINITY;
  for (const zonePlan of plan.zones) {
    const span = zoneSpans(plan, zonePlan, firstDay, lastDay).find((s) => s.start <= atMs && atMs < s.end);
    if (!span) return { open: false, ...closedReason(plan, atMs) };
    until = Math.min(until, span.end);
  }
  return { open: true, until };
}

/**
 * The earliest instant >= fromMs at which the callee may be called, exact to the opening's boundary; null when
 * nothing opens within `horizonDays`. Walks open spans (window and legal boundaries per local date, split at
 * DST transitions), never minute by minute.
 */
export function nextOpening(
  fromMs: number,
  rules: CallingRules,
  loc: CalleeLocation,
  horizonDays: number = DEFAULT_HORIZON_DAYS,
): number | null {
  const plan = compilePlan(rules, loc);
  if (plan.zones.length === 0) return null;
  // A week without a single open day never opens, whatever the dates: answer without walking the horizon.
  if (!plan.days.some((day) => day?.open)) return null;
  const limit = fromMs + horizonDays * DAY_MS;
  for (let chunkStart = fromMs; chunkStart < limit; chunkStart += SEARCH_CHUNK_MS) {
    const chunkEnd = Math.min(chunkStart + SEARCH_CHUNK_MS, limit);
    // Spans reaching past chunkEnd are left to the next chunk, whose local dates are then fully computed.
    const first = openSpans(plan, chunkStart, chunkEnd).find((s) => s.end > chunkStart && s.start < chunkEnd);
    if (first) return Math.max(first.start, fromMs);
  }
  return null;
}

/**
 * When to place a call no earlier than fromMs: fromMs itself when callable; otherwise the next opening plus a
 * random 0-15 minute spread, clamped so the result is still inside the open span. Null when nothing opens.
 */
export function scheduleInWindow(
  fromMs: number,
  rules: CallingRules,
  loc: CalleeLocation,
  random: () => number,
): number | null {
  if (checkCallable(fromMs, rules, loc).open) return fromMs;
  const opening = nextOpening(fromMs, rules, loc);
  if (opening === null) return null;
  const openness = checkCallable(opening, rules, loc);
  if (!openness.open) return opening; // unreachable: nextOpening returns an open instant
  const maxSpreadSec = Math.floor(Math.min(MAX_SPREAD_MS, openness.until - opening - 1) / 1000);
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return opening + Math.floor(r * (maxSpreadSec + 1)) * 1000;
}
