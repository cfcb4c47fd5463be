/** Paging a HubSpot list's memberships (250 a page) and batch-reading contacts (100 a request). */
import type { HubSpotGateway } from './gateway.js';
import type { RequestPriority } from './rate-limiter.js';
import type { HubSpotProperties } from './contacts.js';

export const MEMBERSHIP_PAGE = 250;
export const READ_BATCH = 100;

export interface MembershipPage {
  ids: string[];
  next?: string;
  total?: number;
}

export async function readMembershipPage(
  gateway: HubSpotGateway,
  portalId: string,
  listId: string,
  after: string | undefined,
  priority: RequestPriority,
): Promise<MembershipPage> {
  const answer = await gateway.call(portalId, priority, (c) =>
    c.crm.lists.membershipsApi.getPage(listId, after, undefined, MEMBERSHIP_PAGE),
  );
  const raw = answer as unknown as { total?: number };
  return {
    ids: answer.results.map((r) => String(r.recordId)),
    ...(answer.paging?.next?.after ? { next: answer.paging.next.after } : {}),
    ...(typeof raw.total === 'number' ? { total: raw.total } : {}),
  };
}

/** Contacts by id with only `properties`, in batches of 100; contacts deleted meanwhile are simply absent. */
export async function readContacts(
  gateway: HubSpotGateway,
  portalId: string,
  ids: readonly string[],
  properties: string[],
  priority: RequestPriority,
): Promise<{ id: string; properties: HubSpotProperties }[]> {
  const out: { id: string; properties: HubSpotProperties }[] = [];
  for (let i = 0; i < ids.length; i += READ_BATCH) {
    const inputs = ids.slice(i, i + READ_BATCH).map((id) => ({ id }));
    const answer = await gateway.call(portalId, priority, (c) =>
      c.crm.contacts.batchApi.read({ inputs, properties, propertiesWithHistory: [] }),
    );
    for (const r of answer.results) out.push({ id: r.id, properties: r.properties });
  }
  return out;
}
