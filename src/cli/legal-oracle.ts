/**
 * The reports' own legal-hours oracle (demo and chaos run), written apart from the engine's rules on purpose so
 * a bug there cannot hide itself: US 08:00-21:00, Florida and Oklahoma 08:00-20:00, Canada 09:00-21:30 on
 * weekdays and 10:00-18:00 at weekends, anywhere else 08:00-21:00.
 */
import { DateTime } from 'luxon';
import { normalizePhone } from '../domain/phone.js';

/** Minutes since local midnight in `zone` at `at`. */
export function localMinutes(at: number, zone: string): number {
  const t = DateTime.fromMillis(at, { zone });
  return t.hour * 60 + t.minute;
}

/** [start, end) of the legal calling hours for `e164` on the local day of `at` in `zone`, in minutes. */
export function legalMinutes(e164: string, at: number, zone: string): [number, number] {
  const phone = normalizePhone(e164, 'US');
  const subdivision = phone.ok ? phone.phone.subdivision : undefined;
  if (subdivision === 'US-FL' || subdivision === 'US-OK') return [8 * 60, 20 * 60];
  if (subdivision?.startsWith('CA-')) {
    const weekend = DateTime.fromMillis(at, { zone }).weekday >= 6;
    return weekend ? [10 * 60, 18 * 60] : [9 * 60, 21 * 60 + 30];
  }
  return [8 * 60, 21 * 60];
}

/** True when a call reaching the carrier at `at` is outside the legal hours in any zone the callee may be in. */
export function outsideLegalHours(e164: string, at: number, zones: readonly string[]): boolean {
  if (zones.length === 0) return true;
  return zones.some((zone) => {
    const [start, end] = legalMinutes(e164, at, zone);
    const minutes = localMinutes(at, zone);
    return minutes < start || minutes >= end;
  });
}
