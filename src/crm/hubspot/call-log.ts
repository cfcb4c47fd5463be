/**
 * Call logging, exactly once: each finished attempt becomes one Call engagement on its contact, written in
 * batches of up to 100 (one request per batch), plus one batch update of the contacts' "last dial" properties.
 *
 * How "exactly once" holds when a process dies after HubSpot created the engagement but before we recorded it:
 * - Portal with a unique `autodial_attempt_id` (properties.ts): HubSpot itself refuses a second engagement with
 *   the same attempt id. When a batch create is refused (or partly fails), the batch is read back by that
 *   property (`idProperty`), the engagements found are adopted, and only the rest is created. No window.
 * - Otherwise: the intent is recorded in Redis before the create; a retry of an attempt with an intent
 *   searches HubSpot by `autodial_attempt_id` before creating again. Residual window: HubSpot's search index
 *   lags writes by a few seconds, so a retry first waits until the intent is `searchSettleMs` old (default
 *   60 s, far beyond the usual lag; the writeback only reclaims a crashed consumer's entries after 60 s
 *   anyway). A duplicate remains possible only if the index lags by more than that. (docs/hubspot.md)
 */
import type { Client } from '@hubspot/api-client';
import {
  AssociationSpecAssociationCategoryEnum,
  FilterOperatorEnum,
} from '@hubspot/api-client/lib/codegen/crm/objects/calls/index.js';
import type { SimplePublicObjectInputForCreate } from '@hubspot/api-client/lib/codegen/crm/objects/calls/index.js';
import type { Disposition } from '../../domain/outcome.js';
import type { Clock } from '../../shared/clock.js';
import { CallRecordNotFoundError, CrmRateLimitError } from '../crm.js';
import type { CallRecord, CallRecordPatch } from '../crm.js';
import type { CallLedger } from './call-ledger.js';
import { asHubSpotHttpError } from './client.js';
import type { DispositionCache } from './dispositions.js';
import type { HubSpotGateway } from './gateway.js';
import { ATTEMPT_ID_PROPERTY, CONTACT_PROPERTIES } from './properties.js';
import type { PortalFactsStore } from './properties.js';

/** HubSpot's association type id of call -> contact. */
export const CALL_TO_CONTACT = 194;
export const MAX_BATCH = 100;

const CALL_STATUS: Record<Disposition, string> = {
  CONNECTED: 'COMPLETED',
  LEFT_VOICEMAIL: 'COMPLETED',
  LEFT_LIVE_MESSAGE: 'COMPLETED',
  CONFIRMED: 'COMPLETED',
  DECLINED: 'COMPLETED',
  CALLBACK_REQUESTED: 'COMPLETED',
  DO_NOT_CALL: 'COMPLETED',
  WRONG_NUMBER: 'COMPLETED',
  NO_ANSWER: 'NO_ANSWER',
  BUSY: 'BUSY',
  FAILED: 'FAILED',
};

export function callBody(outcomeLabel: string, notes?: string): string {
  return notes?.trim() ? `Outcome: ${outcomeLabel}\n\nNotes: ${notes.trim()}` : `Outcome: ${outcomeLabel}`;
}

/** The engagement's properties for one attempt (`dispositionId` from the portal's own list). */
export function callProperties(
  record: CallRecord,
  dispositionId: string | undefined,
): Record<string, string> {
  const properties: Record<string, string> = {
    [ATTEMPT_ID_PROPERTY]: record.attemptId,
    hs_timestamp: new Date(record.startedAt).toISOString(),
    hs_call_direction: 'OUTBOUND',
    hs_call_status: CALL_STATUS[record.disposition],
    hs_call_duration: String(Math.max(0, Math.round(record.durationSec * 1000))),
    hs_call_from_number: record.fromNumber,
    hs_call_to_number: record.toNumber,
    hs_call_title: `Autodial: ${record.campaignName ?? record.campaignId}`,
    hs_call_body: callBody(record.outcomeLabel, record.notes),
  };
  if (record.recordingUrl) properties.hs_call_recording_url = record.recordingUrl;
  if (record.ownerId) properties.hubspot_owner_id = record.ownerId;
  if (dispositionId) properties.hs_call_disposition = dispositionId;
  return properties;
}

export interface CallLoggerOptions {
  gateway: HubSpotGateway;
  ledger: CallLedger;
  facts: PortalFactsStore;
  dispositions: DispositionCache;
  clock: Clock;
  /** How old an intent must be before its search is trusted (see the header). */
  searchSettleMs?: number;
}

type Created = { id: string; properties: Record<string, string | null> };

/** The create request itself failed (as opposed to what we did with its answer). */
class CreateRequestError extends Error {
  constructor(override readonly cause: unknown) {
    super('HubSpot batch create failed', { cause });
    this.name = 'CreateRequestError';
  }
}

export class CallLogger {
  private readonly settleMs: number;

  constructor(private readonly options: CallLoggerOptions) {
    this.settleMs = options.searchSettleMs ?? 60_000;
  }

  /** Writes the engagements of up to 100 attempts of one portal; returns their ids in input order. */
  async recordCalls(portalId: string, records: CallRecord[]): Promise<{ id: string }[]> {
    if (records.length > MAX_BATCH) throw new Error(`at most ${MAX_BATCH} calls per batch`);
    const unique = [...new Map(records.map((r) => [r.attemptId, r])).values()];
    const { ledger, facts } = this.options;
    const ids = await ledger.known(
      portalId,
      unique.map((r) => r.attemptId),
    );
    const todo = unique.filter((r) => !ids.has(r.attemptId));
    if (todo.length) {
      const uniqueMode = (await facts.get(portalId))?.uniqueAttemptId ?? false;
      if (uniqueMode) await this.createUnique(portalId, todo, ids);
      else await this.createWithIntent(portalId, todo, ids);
    }
    await this.updateContacts(portalId, unique);
    return records.map((r) => ({ id: ids.get(r.attemptId)! }));
  }

  /** A rep's wrap-up (or a corrected outcome) on the engagement of `attemptId`. */
  async updateCall(portalId: string, attemptId: string, patch: CallRecordPatch): Promise<void> {
    let id = (await this.options.ledger.known(portalId, [attemptId])).get(attemptId);
    if (!id) {
      id = (await this.search(portalId, [attemptId], 'interactive')).get(attemptId);
      if (!id) throw new CallRecordNotFoundError(attemptId);
      await this.options.ledger.remember(portalId, [[attemptId, id]]);
    }
    const properties: Record<string, string> = { hs_call_body: callBody(patch.outcomeLabel, patch.notes) };
    const dispositionId = await this.options.dispositions.idFor(portalId, patch.disposition);
    if (dispositionId) properties.hs_call_disposition = dispositionId;
    properties.hs_call_status = CALL_STATUS[patch.disposition];
    const callId = id;
    await this.options.gateway.call(portalId, 'interactive', (c) =>
      c.crm.objects.calls.basicApi.update(callId, { properties }),
    );
  }

  private async createUnique(
    portalId: string,
    records: CallRecord[],
    ids: Map<string, string>,
  ): Promise<void> {
    let remaining = records;
    for (let round = 0; remaining.length && round < 3; round += 1) {
      let failure: unknown;
      try {
        await this.create(portalId, remaining, ids);
      } catch (error) {
        if (!(error instanceof CreateRequestError)) throw error; // e.g. the ledger write: nothing to adopt
        const http = asHubSpotHttpError(error.cause);
        // A refused create (409 duplicate value, 400 validation) or an ambiguous one (5xx, network): what
        // exists is read back by the unique property below; anything else is a real failure.
        if (http && http.code < 500 && http.code !== 409 && http.code !== 400) throw error.cause;
        failure = error.cause;
      }
      remaining = remaining.filter((r) => !ids.has(r.attemptId));
      if (!remaining.length) return;
      const found = await this.readByAttemptId(
        portalId,
        remaining.map((r) => r.attemptId),
      );
      for (const [a, id] of found) ids.set(a, id);
      await this.options.ledger.remember(portalId, [...found]);
      remaining = remaining.filter((r) => !ids.has(r.attemptId));
      if (remaining.length && failure && round === 2) throw failure;
    }
    if (remaining.length) throw new Error(`could not log ${remaining.length} call(s) in portal ${portalId}`);
  }

  private async createWithIntent(
    portalId: string,
    records: CallRecord[],
    ids: Map<string, string>,
  ): Promise<void> {
    const { ledger, clock } = this.options;
    const earlier = await ledger.markIntent(
      portalId,
      records.map((r) => r.attemptId),
      clock.now(),
    );
    if (earlier.size) {
      // A create may have reached HubSpot before: search, but only once the search index has caught up.
      const youngest = Math.max(...earlier.values());
      const wait = youngest + this.settleMs - clock.now();
      if (wait > 0)
        throw new CrmRateLimitError('waiting for HubSpot search to index an earlier create', wait);
      const found = await this.search(portalId, [...earlier.keys()], 'bulk');
      for (const [a, id] of found) ids.set(a, id);
      await ledger.remember(portalId, [...found]);
    }
    const rest = records.filter((r) => !ids.has(r.attemptId));
    if (!rest.length) return;
    try {
      await this.create(portalId, rest, ids);
    } catch (error) {
      throw error instanceof CreateRequestError ? error.cause : error;
    }
  }

  /**
   * One batch create, then the record of what HubSpot created (even when some inputs failed). Errors of the
   * request itself come wrapped in CreateRequestError; an error recording the result is thrown as it is.
   */
  private async create(portalId: string, records: CallRecord[], ids: Map<string, string>): Promise<void> {
    const { dispositions, gateway, ledger } = this.options;
    const inputs: SimplePublicObjectInputForCreate[] = [];
    for (const r of records) {
      inputs.push({
        properties: callProperties(r, await dispositions.idFor(portalId, r.disposition)),
        associations: [
          {
            to: { id: r.contactId },
            types: [
              {
                associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined,
                associationTypeId: CALL_TO_CONTACT,
              },
            ],
          },
        ],
      });
    }
    let answer;
    try {
      answer = await gateway.call(portalId, 'bulk', (c: Client) =>
        c.crm.objects.calls.batchApi.create({ inputs }),
      );
    } catch (error) {
      throw new CreateRequestError(error);
    }
    const pairs = this.pairsOf(answer.results as Created[]);
    for (const [a, id] of pairs) ids.set(a, id);
    // The crash window: HubSpot has the engagements, we have not recorded them yet (see the header).
    await ledger.remember(portalId, pairs);
    const errors = (answer as { errors?: unknown[] }).errors;
    if (errors?.length) {
      throw new CreateRequestError(
        Object.assign(new Error(`HubSpot refused ${errors.length} call(s) of the batch`), {
          code: 400,
          body: errors,
        }),
      );
    }
  }

  private pairsOf(results: Created[]): [string, string][] {
    const pairs: [string, string][] = [];
    for (const r of results) {
      const attemptId = r.properties[ATTEMPT_ID_PROPERTY];
      if (attemptId) pairs.push([attemptId, r.id]);
    }
    return pairs;
  }

  private async readByAttemptId(portalId: string, attemptIds: string[]): Promise<Map<string, string>> {
    const answer = await this.options.gateway.call(portalId, 'bulk', (c) =>
      c.crm.objects.calls.batchApi.read({
        idProperty: ATTEMPT_ID_PROPERTY,
        inputs: attemptIds.map((id) => ({ id })),
        properties: [ATTEMPT_ID_PROPERTY],
        propertiesWithHistory: [],
      }),
    );
    return new Map(this.pairsOf(answer.results as Created[]));
  }

  private async search(
    portalId: string,
    attemptIds: string[],
    priority: 'bulk' | 'interactive',
  ): Promise<Map<string, string>> {
    const answer = await this.options.gateway.call(portalId, priority, (c) =>
      c.crm.objects.calls.searchApi.doSearch({
        filterGroups: [
          {
            filters: [
              { propertyName: ATTEMPT_ID_PROPERTY, operator: FilterOperatorEnum.In, values: attemptIds },
            ],
          },
        ],
        properties: [ATTEMPT_ID_PROPERTY],
        limit: MAX_BATCH,
      }),
    );
    return new Map(this.pairsOf(answer.results as Created[]));
  }

  /** Last dial outcome, last attempt time and attempts in the campaign: one batch update per batch of calls. */
  private async updateContacts(portalId: string, records: CallRecord[]): Promise<void> {
    const latest = new Map<string, CallRecord>();
    for (const r of records) {
      const seen = latest.get(r.contactId);
      if (!seen || seen.startedAt <= r.startedAt) latest.set(r.contactId, r);
    }
    const latestRecords = [...latest.values()];
    const attempts = await this.options.ledger.countAttempts(portalId, latestRecords);
    const inputs = latestRecords.map((r, i) => ({
      id: r.contactId,
      properties: {
        [CONTACT_PROPERTIES.lastOutcome]: r.outcomeLabel,
        [CONTACT_PROPERTIES.lastAttemptAt]: new Date(r.startedAt).toISOString(),
        [CONTACT_PROPERTIES.campaignAttempts]: String(attempts[i]),
      },
    }));
    if (!inputs.length) return;
    await this.options.gateway
      .call(portalId, 'bulk', (c) => c.crm.contacts.batchApi.update({ inputs }))
      .catch((error: unknown) => {
        // A contact deleted since the call: its "last dial" properties have nowhere to go; the calls are logged.
        if (asHubSpotHttpError(error)?.code !== 404) throw error;
      });
  }
}
