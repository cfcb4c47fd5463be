/**
 * The demo's report: built from the event stream, the sample data and the CRM's records, checked against an
 * independent legal-hours oracle (legal-oracle.ts), and formatted for the terminal. Kept apart from the run.
 */
import type { LocalSampleCrm } from '../crm/local-sample-crm.js';
import type { LeadState, SkipReason, StoredEvent } from '../engine/events.js';
import type { DemoOptions } from './demo.js';
import { legalMinutes, localMinutes } from './legal-oracle.js';
import type { generateSampleContacts } from './sample-data.js';

/** Days the demo campaign retries a lead: a run of at least this plus 2 days must end with every lead final. */
export const MAX_RETRY_DAYS = 4;

export interface DemoReport {
  contacts: number;
  enrolled: number;
  skipped: Partial<Record<SkipReason, number>>;
  attempts: number;
  finishedAttempts: number;
  /** Finished attempts the carrier placed (the others never went out and are not calls). */
  placedCalls: number;
  contactsReached: number;
  leadStates: Record<LeadState, number>;
  outcomes: Record<string, number>;
  abandoned: number;
  answeredByPerson: number;
  abandonmentRatePct: number;
  /** Calls placed by the called person's local hour (in every zone the person may be in). */
  callsByLocalHour: Record<number, number>;
  outOfHoursCalls: number;
  dncNumbersDialed: number;
  crmRecordsWritten: number;
  crmDuplicateWritesIgnored: number;
  simulatedDays: number;
  realSeconds: number;
  horizonReached: boolean;
  /** Failed checks, in words; empty means success. */
  failures: string[];
}

/** Every zone each sample number may be in: its CRM zone, else every candidate zone of the number. */
export async function zoneTable(
  sample: ReturnType<typeof generateSampleContacts>,
  zones: { candidateZones(e164: string): Promise<string[]> },
): Promise<Map<string, string[]>> {
  const table = new Map<string, string[]>();
  for (const c of sample) {
    const e164 = c.sample.e164;
    if (!e164) continue;
    const own = c.timeZone ? [c.timeZone] : [];
    const candidates = await zones.candidateZones(e164);
    const known = table.get(e164) ?? [];
    table.set(e164, [...new Set([...known, ...own, ...candidates])]);
  }
  return table;
}

export function buildReport(input: {
  options: DemoOptions;
  events: StoredEvent[];
  sample: ReturnType<typeof generateSampleContacts>;
  states: Record<LeadState, number>;
  enrolled: number;
  skipped: Partial<Record<SkipReason, number>>;
  crm: LocalSampleCrm;
  horizonReached: boolean;
  simulatedDays: number;
  realSeconds: number;
  zoneOf: Map<string, string[]>;
}): DemoReport {
  const { events, sample, states, crm } = input;
  const failures: string[] = [];
  const started = events.filter(
    (e): e is Extract<StoredEvent, { type: 'attempt.started' }> => e.type === 'attempt.started',
  );
  const finished = events.filter(
    (e): e is Extract<StoredEvent, { type: 'attempt.finished' }> => e.type === 'attempt.finished',
  );
  const finishedIds = new Set(finished.map((e) => e.attemptId));
  // the attempts that were calls: a dial that never reached the carrier (placed: false) gets no CRM record
  const callIds = new Set(finished.filter((e) => e.placed !== false).map((e) => e.attemptId));

  // DNC: the CRM's flags before the run, and numbers that asked during the run (never dialed after that).
  const dncBefore = new Set(sample.filter((c) => c.doNotCall && c.sample.e164).map((c) => c.sample.e164!));
  const dncSince = new Map<string, number>();
  for (const f of finished) if (f.doNotCall && !dncSince.has(f.to)) dncSince.set(f.to, f.at);
  let dncNumbersDialed = 0;
  for (const s of started) {
    const since = dncSince.get(s.to);
    if (dncBefore.has(s.to) || (since !== undefined && s.at > since)) dncNumbersDialed++;
  }

  // Legal hours, checked independently of the engine, in every zone the person may be in.
  const callsByLocalHour: Record<number, number> = {};
  let outOfHoursCalls = 0;
  for (const s of started) {
    const zones = input.zoneOf.get(s.to) ?? [];
    if (zones.length === 0) {
      outOfHoursCalls++;
      continue;
    }
    const minutes = zones.map((z) => localMinutes(s.at, z));
    const outside = zones.some((z, i) => {
      const [start, end] = legalMinutes(s.to, s.at, z);
      return minutes[i]! < start || minutes[i]! >= end;
    });
    if (outside) outOfHoursCalls++;
    const hour = Math.floor(minutes[0]! / 60);
    callsByLocalHour[hour] = (callsByLocalHour[hour] ?? 0) + 1;
  }

  const outcomes: Record<string, number> = {};
  for (const f of finished) outcomes[f.outcomeLabel] = (outcomes[f.outcomeLabel] ?? 0) + 1;
  const abandoned = finished.filter((f) => f.category === 'ABANDONED').length;
  const answeredByPerson = finished.filter(
    (f) => f.category === 'CONVERSATION' || f.category === 'ABANDONED',
  ).length;
  const abandonmentRatePct = answeredByPerson === 0 ? 0 : (100 * abandoned) / answeredByPerson;

  const crmCounts = crm.counts();
  if (dncNumbersDialed > 0) failures.push(`${dncNumbersDialed} calls to Do-Not-Call numbers`);
  if (outOfHoursCalls > 0)
    failures.push(`${outOfHoursCalls} calls outside the legal hours of the callee's local time`);
  const recorded = new Set(crm.allCalls().map((c) => c.attemptId));
  if (crmCounts.calls !== callIds.size || [...callIds].some((id) => !recorded.has(id))) {
    failures.push(`CRM records written (${crmCounts.calls}) differ from the calls placed (${callIds.size})`);
  }
  if (started.length !== finishedIds.size) {
    failures.push(`${started.length - finishedIds.size} attempts started but never finished`);
  }
  const open = states.queued + states.dialing + states.retrying;
  if (states.dialing > 0) failures.push(`${states.dialing} leads left dialing after the engine stopped`);
  // With these retry limits every lead is final within maxRetryDays plus a weekend of slack.
  const everyLeadShouldBeFinal = input.options.days >= MAX_RETRY_DAYS + 2;
  if (open > 0 && everyLeadShouldBeFinal) {
    failures.push(`${open} leads not in a final state after ${input.options.days} simulated days`);
  }

  return {
    contacts: input.options.contacts,
    enrolled: input.enrolled,
    skipped: input.skipped,
    attempts: started.length,
    finishedAttempts: finishedIds.size,
    placedCalls: callIds.size,
    contactsReached: states.reached,
    leadStates: states,
    outcomes,
    abandoned,
    answeredByPerson,
    abandonmentRatePct,
    callsByLocalHour,
    outOfHoursCalls,
    dncNumbersDialed,
    crmRecordsWritten: crmCounts.calls,
    crmDuplicateWritesIgnored: crmCounts.duplicateWritesIgnored,
    simulatedDays: input.simulatedDays,
    realSeconds: input.realSeconds,
    horizonReached: input.horizonReached,
    failures,
  };
}

export function formatReport(r: DemoReport): string {
  const pct = (n: number, of: number) => (of === 0 ? '0.0' : ((100 * n) / of).toFixed(1));
  const lines: string[] = [];
  lines.push('', '=== Autodial demo report ===');
  lines.push(
    `Simulated ${r.simulatedDays.toFixed(1)} days in ${r.realSeconds.toFixed(0)} s${r.horizonReached ? ' (horizon reached)' : ' (every lead final)'}`,
  );
  lines.push(`Contacts: ${r.contacts}   enrolled: ${r.enrolled}`);
  lines.push(
    `Skipped by reason: ${
      Object.entries(r.skipped)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none'
    }`,
  );
  lines.push(
    `Attempts: ${r.attempts}   contacts reached: ${r.contactsReached} (${pct(r.contactsReached, r.enrolled)}% of enrolled)`,
  );
  lines.push(
    `Lead states: ${Object.entries(r.leadStates)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );
  lines.push('Outcome mix:');
  for (const [label, n] of Object.entries(r.outcomes).sort((a, b) => b[1] - a[1])) {
    lines.push(`  ${label.padEnd(34)} ${String(n).padStart(6)}  ${pct(n, r.finishedAttempts).padStart(5)}%`);
  }
  lines.push(
    `Abandonment rate: ${r.abandonmentRatePct.toFixed(2)}% (${r.abandoned} of ${r.answeredByPerson} answered by a person)`,
  );
  lines.push("Calls by the called person's local hour:");
  const max = Math.max(1, ...Object.values(r.callsByLocalHour));
  for (let h = 0; h < 24; h++) {
    const n = r.callsByLocalHour[h] ?? 0;
    if (n === 0 && (h < 7 || h > 21)) continue;
    lines.push(
      `  ${String(h).padStart(2, '0')}:00  ${String(n).padStart(6)}  ${'#'.repeat(Math.round((40 * n) / max))}`,
    );
  }
  lines.push(`Calls outside legal hours (callee's local time): ${r.outOfHoursCalls}`);
  lines.push(`DNC numbers dialed: ${r.dncNumbersDialed}`);
  lines.push(
    `CRM records written: ${r.crmRecordsWritten} for ${r.placedCalls} calls placed (${r.finishedAttempts} attempts finished)` +
      ` (redelivered writes ignored: ${r.crmDuplicateWritesIgnored})`,
  );
  lines.push(
    r.failures.length === 0
      ? 'All checks passed.'
      : `CHECKS FAILED:\n${r.failures.map((f) => `  - ${f}`).join('\n')}`,
  );
  return lines.join('\n');
}
