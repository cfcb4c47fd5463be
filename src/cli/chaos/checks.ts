/**
 * The chaos run's verdict, computed from the carrier's own log and the CRM's records (plus the final lead
 * states), never from what the engine says it did. Pure: data in, figures out.
 */
import type { CallRecord } from '../../crm/crm.js';
import { outsideLegalHours } from '../legal-oracle.js';
import type { CarrierCall } from './carrier.js';

export interface ChaosInput {
  calls: readonly CarrierCall[];
  crmRecords: readonly CallRecord[];
  /** Number -> true time it was put on the DNC list (0 for flags set before the run). */
  dncSince: ReadonlyMap<string, number>;
  /** Every zone each number may be in. */
  zonesOf: ReadonlyMap<string, string[]>;
  /** Campaign -> its concurrent-call cap; and the account's. */
  campaignCaps: ReadonlyMap<string, number>;
  accountCap: number;
  /** Leads not in a final state at the end, and leads whose attempt is still held past its lease. */
  leadsNotFinal: number;
  /** Attempts whose final status a worker acknowledged but which the store never finished. */
  ackedButUnfinished: number;
}

export interface ChaosFigures {
  chaos_double_dials: number;
  chaos_calls_outside_legal_hours: number;
  chaos_dnc_dials: number;
  chaos_over_cap: number;
  chaos_lost_leads: number;
  chaos_answered_then_redialed: number;
  chaos_dropped_final_statuses: number;
  chaos_duplicate_crm_records: number;
  /** Calls the carrier placed that never reached the CRM (exactly once means neither more nor fewer). */
  chaos_missing_crm_records: number;
}

/** Pairs of carrier calls to one number whose live intervals overlap. */
function doubleDials(calls: readonly CarrierCall[], endOfRun: number): number {
  const byNumber = new Map<string, CarrierCall[]>();
  for (const c of calls) byNumber.set(c.to, [...(byNumber.get(c.to) ?? []), c]);
  let overlaps = 0;
  for (const list of byNumber.values()) {
    list.sort((a, b) => a.receivedAt - b.receivedAt);
    for (let i = 1; i < list.length; i++) {
      const ends = list.slice(0, i).map((c) => c.endedAt ?? endOfRun);
      if (ends.some((end) => end > list[i]!.receivedAt)) overlaps++;
    }
  }
  return overlaps;
}

/** How many call starts found more live calls than the cap allows (per campaign, and for the account). */
function overCap(
  calls: readonly CarrierCall[],
  caps: ReadonlyMap<string, number>,
  accountCap: number,
  endOfRun: number,
) {
  let over = 0;
  for (const call of calls) {
    const live = calls.filter(
      (c) => c.receivedAt <= call.receivedAt && (c.endedAt ?? endOfRun) > call.receivedAt,
    );
    const campaignLive = live.filter((c) => c.campaignId === call.campaignId).length;
    if (live.length > accountCap || campaignLive > (caps.get(call.campaignId) ?? Infinity)) over++;
  }
  return over;
}

export function judge(input: ChaosInput): ChaosFigures {
  const endOfRun = Math.max(0, ...input.calls.map((c) => c.endedAt ?? c.receivedAt));
  const answeredAt = new Map<string, number>();
  let answeredThenRedialed = 0;
  for (const call of [...input.calls].sort((a, b) => a.receivedAt - b.receivedAt)) {
    // a lead reached in a campaign is final there: the same campaign calling that contact again is a redial
    const key = `${call.campaignId}/${call.contactId}`;
    const reached = answeredAt.get(key);
    if (reached !== undefined && call.receivedAt > reached) answeredThenRedialed++;
    if (call.answered && reached === undefined) answeredAt.set(key, call.receivedAt);
  }
  const recordsByCall = new Map<string, Set<string>>();
  const attemptsWritten = new Set<string>();
  for (const r of input.crmRecords) {
    attemptsWritten.add(r.attemptId);
    if (r.providerCallId)
      recordsByCall.set(
        r.providerCallId,
        (recordsByCall.get(r.providerCallId) ?? new Set()).add(r.attemptId),
      );
  }
  // The CRM is idempotent by attempt id, so a rewrite of one attempt is one record; two attempts for one call
  // (or several writes under different ids) are duplicates the CRM would show.
  const duplicateCrm = [...recordsByCall.values()].reduce((n, ids) => n + ids.size - 1, 0);
  return {
    chaos_double_dials: doubleDials(input.calls, endOfRun),
    chaos_calls_outside_legal_hours: input.calls.filter((c) =>
      outsideLegalHours(c.to, c.receivedAt, input.zonesOf.get(c.to) ?? []),
    ).length,
    chaos_dnc_dials: input.calls.filter((c) => {
      const since = input.dncSince.get(c.to);
      return since !== undefined && c.receivedAt >= since;
    }).length,
    chaos_over_cap: overCap(input.calls, input.campaignCaps, input.accountCap, endOfRun),
    chaos_lost_leads: input.leadsNotFinal,
    chaos_answered_then_redialed: answeredThenRedialed,
    chaos_dropped_final_statuses: input.ackedButUnfinished,
    chaos_duplicate_crm_records: duplicateCrm,
    chaos_missing_crm_records: input.calls.filter((c) => !attemptsWritten.has(c.attemptId)).length,
  };
}
