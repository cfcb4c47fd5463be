/**
 * CSV import into HubSpot (`import-csv --crm hubspot`): validated rows (src/crm/csv.ts) are merged when they
 * share a phone number or an email, matched to existing HubSpot contacts by phone, mobile phone or email (one
 * search per 100), created or updated in batches of 100, then enrolled in the campaign under their HubSpot ids.
 * The caller decides the error policy before anything is written (a file with errors changes nothing unless
 * bad rows are explicitly skipped).
 */
import type { ContactRow } from '../csv.js';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/objects/calls/index.js';
import type { HubSpotGateway } from './gateway.js';
import { CONTACT_PROPERTIES } from './properties.js';

export const UPSERT_BATCH = 100;

export interface MergedContact extends ContactRow {
  /** File lines merged into this contact (the first is `row`). */
  rows: number[];
}

/** Rows sharing a phone number or an email become one contact; earlier rows win, later ones fill the gaps. */
export function mergeDuplicateRows(rows: readonly ContactRow[]): MergedContact[] {
  const merged: MergedContact[] = [];
  const byKey = new Map<string, MergedContact>();
  for (const row of rows) {
    const keys = [`p:${row.phone}`, ...(row.email ? [`e:${row.email}`] : [])];
    const target = keys.map((k) => byKey.get(k)).find((m) => m !== undefined);
    if (!target) {
      const contact: MergedContact = { ...row, rows: [row.row] };
      merged.push(contact);
      for (const k of keys) byKey.set(k, contact);
      continue;
    }
    target.rows.push(row.row);
    target.firstName ??= row.firstName;
    target.lastName ??= row.lastName;
    target.email ??= row.email;
    target.timeZone ??= row.timeZone;
    target.source ??= row.source;
    target.doNotCall = target.doNotCall || row.doNotCall;
    for (const k of [`p:${target.phone}`, ...(target.email ? [`e:${target.email}`] : []), ...keys]) {
      byKey.set(k, target);
    }
  }
  return merged;
}

/** `America/New_York` -> HubSpot's `america_slash_new_york`. */
export function hubspotZoneOf(iana: string): string {
  return iana.toLowerCase().replaceAll('/', '_slash_');
}

function propertiesOf(c: MergedContact): Record<string, string> {
  const p: Record<string, string> = { phone: c.phone };
  if (c.firstName) p.firstname = c.firstName;
  if (c.lastName) p.lastname = c.lastName;
  if (c.email) p.email = c.email;
  if (c.timeZone) p.hs_timezone = hubspotZoneOf(c.timeZone);
  if (c.doNotCall) {
    p[CONTACT_PROPERTIES.doNotCall] = 'true';
    p[CONTACT_PROPERTIES.doNotCallReason] = 'Marked do-not-call in an imported CSV file';
  }
  return p;
}

export interface UpsertResult {
  created: number;
  updated: number;
  /** HubSpot contact id of each merged contact, in input order. */
  ids: string[];
}

/** Creates or updates up to 100 contacts: one search to match, then at most one create and one update. */
export async function upsertContactBatch(
  gateway: HubSpotGateway,
  portalId: string,
  contacts: readonly MergedContact[],
): Promise<UpsertResult> {
  if (contacts.length > UPSERT_BATCH) throw new Error(`at most ${UPSERT_BATCH} contacts per batch`);
  const phones = [...new Set(contacts.map((c) => c.phone))];
  const emails = [...new Set(contacts.flatMap((c) => (c.email ? [c.email] : [])))];
  const filterGroups = [
    { filters: [{ propertyName: 'phone', operator: FilterOperatorEnum.In, values: phones }] },
    { filters: [{ propertyName: 'mobilephone', operator: FilterOperatorEnum.In, values: phones }] },
    ...(emails.length
      ? [{ filters: [{ propertyName: 'email', operator: FilterOperatorEnum.In, values: emails }] }]
      : []),
  ];
  const byPhone = new Map<string, string>();
  const byEmail = new Map<string, string>();
  let after: string | undefined;
  do {
    const page = await gateway.call(portalId, 'bulk', (c) =>
      c.crm.contacts.searchApi.doSearch({
        filterGroups: filterGroups as never,
        properties: ['phone', 'mobilephone', 'email'],
        limit: 100,
        ...(after ? { after } : {}),
      }),
    );
    for (const r of page.results) {
      for (const field of ['phone', 'mobilephone'] as const) {
        const v = r.properties[field];
        if (v && !byPhone.has(v)) byPhone.set(v, r.id);
      }
      const email = r.properties.email?.toLowerCase();
      if (email && !byEmail.has(email)) byEmail.set(email, r.id);
    }
    after = page.paging?.next?.after;
  } while (after);

  const ids: (string | undefined)[] = contacts.map(
    (c) => byPhone.get(c.phone) ?? (c.email ? byEmail.get(c.email) : undefined),
  );
  const updates = contacts.flatMap((c, i) => (ids[i] ? [{ id: ids[i]!, properties: propertiesOf(c) }] : []));
  // Two rows of the file that match the same HubSpot contact: one update of it.
  const uniqueUpdates = [...new Map(updates.map((u) => [u.id, u])).values()];
  if (uniqueUpdates.length) {
    await gateway.call(portalId, 'bulk', (c) => c.crm.contacts.batchApi.update({ inputs: uniqueUpdates }));
  }
  const toCreate = contacts.flatMap((c, i) => (ids[i] ? [] : [i]));
  if (toCreate.length) {
    const answer = await gateway.call(portalId, 'bulk', (c) =>
      c.crm.contacts.batchApi.create({
        inputs: toCreate.map((i) => ({ properties: propertiesOf(contacts[i]!), associations: [] })),
      }),
    );
    // Match created records back by phone (HubSpot does not promise the input order).
    const createdByPhone = new Map(answer.results.map((r) => [r.properties.phone ?? '', r.id]));
    for (const i of toCreate) ids[i] = createdByPhone.get(contacts[i]!.phone);
  }
  const missing = ids.findIndex((id) => !id);
  if (missing >= 0) throw new Error(`HubSpot did not return a contact for row ${contacts[missing]!.row}`);
  return { created: toCreate.length, updated: uniqueUpdates.length, ids: ids as string[] };
}
