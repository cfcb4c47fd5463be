/**
 * The properties the product writes, created on install, idempotently: the `autodial` property group on
 * contacts and calls, the contact properties (Do-Not-Call with reason and date, wrong number, last dial
 * outcome, last attempt time, attempts in the current campaign) and the call property `autodial_attempt_id`.
 * `autodial_attempt_id` is asked for with unique values (what makes call logging exactly once by itself); a
 * portal that refuses that gets it without, and we remember per portal which of the two we have
 * (call-log.ts then falls back to a recorded intent plus a search).
 */
import { asHubSpotHttpError } from './client.js';
import type { HubSpotGateway } from './gateway.js';
import { HubSpotKeys } from './keys.js';
import type { RedisClient } from './redis.js';

export const PROPERTY_GROUP = 'autodial';

export const CONTACT_PROPERTIES = {
  doNotCall: 'autodial_do_not_call',
  doNotCallReason: 'autodial_dnc_reason',
  doNotCallDate: 'autodial_dnc_date',
  wrongNumber: 'autodial_wrong_number',
  wrongNumberPhone: 'autodial_wrong_number_phone',
  lastOutcome: 'autodial_last_outcome',
  lastAttemptAt: 'autodial_last_attempt_at',
  campaignAttempts: 'autodial_campaign_attempts',
} as const;

export const ATTEMPT_ID_PROPERTY = 'autodial_attempt_id';

type Definition = {
  name: string;
  label: string;
  description: string;
  type: 'string' | 'number' | 'datetime' | 'enumeration';
  fieldType: 'text' | 'number' | 'date' | 'booleancheckbox';
  options?: { label: string; value: string; displayOrder: number; hidden: boolean }[];
  hasUniqueValue?: boolean;
};

const yesNo = [
  { label: 'Yes', value: 'true', displayOrder: 0, hidden: false },
  { label: 'No', value: 'false', displayOrder: 1, hidden: false },
];

export const CONTACT_PROPERTY_DEFINITIONS: Definition[] = [
  {
    name: CONTACT_PROPERTIES.doNotCall,
    label: 'Do not call (Autodial)',
    description: 'Never dial this contact in any campaign. Set by reps, imports, unsubscribes or the dialer.',
    type: 'enumeration',
    fieldType: 'booleancheckbox',
    options: yesNo,
  },
  {
    name: CONTACT_PROPERTIES.doNotCallReason,
    label: 'Do-not-call reason (Autodial)',
    description: 'Why the contact is on the do-not-call list.',
    type: 'string',
    fieldType: 'text',
  },
  {
    name: CONTACT_PROPERTIES.doNotCallDate,
    label: 'Do-not-call date (Autodial)',
    description: 'When the contact was put on the do-not-call list.',
    type: 'datetime',
    fieldType: 'date',
  },
  {
    name: CONTACT_PROPERTIES.wrongNumber,
    label: 'Wrong number (Autodial)',
    description: 'A number of this contact reached someone else or is disconnected.',
    type: 'enumeration',
    fieldType: 'booleancheckbox',
    options: yesNo,
  },
  {
    name: CONTACT_PROPERTIES.wrongNumberPhone,
    label: 'Wrong number value (Autodial)',
    description: 'The number found to be wrong.',
    type: 'string',
    fieldType: 'text',
  },
  {
    name: CONTACT_PROPERTIES.lastOutcome,
    label: 'Last dial outcome (Autodial)',
    description: 'Outcome of the latest automatic call.',
    type: 'string',
    fieldType: 'text',
  },
  {
    name: CONTACT_PROPERTIES.lastAttemptAt,
    label: 'Last attempt time (Autodial)',
    description: 'When the latest automatic call started.',
    type: 'datetime',
    fieldType: 'date',
  },
  {
    name: CONTACT_PROPERTIES.campaignAttempts,
    label: 'Attempts in current campaign (Autodial)',
    description: 'Calls placed to this contact by the campaign that called it last.',
    type: 'number',
    fieldType: 'number',
  },
];

export const CALL_PROPERTY_DEFINITION: Definition = {
  name: ATTEMPT_ID_PROPERTY,
  label: 'Autodial attempt id',
  description: 'The dialer attempt this call was logged for (one call per attempt).',
  type: 'string',
  fieldType: 'text',
  hasUniqueValue: true,
};

export interface PortalFacts {
  /** The portal accepted `autodial_attempt_id` with unique values. */
  uniqueAttemptId: boolean;
}

/** What we learned about a portal at install (Redis hash, shared by all processes). */
export class PortalFactsStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
  ) {}

  async get(portalId: string): Promise<PortalFacts | null> {
    const value = await this.redis.hGet(
      new HubSpotKeys(this.keyPrefix, portalId).portalInfo(),
      'uniqueAttemptId',
    );
    return value === undefined || value === null ? null : { uniqueAttemptId: value === '1' };
  }

  async set(portalId: string, facts: PortalFacts): Promise<void> {
    await this.redis.hSet(new HubSpotKeys(this.keyPrefix, portalId).portalInfo(), {
      uniqueAttemptId: facts.uniqueAttemptId ? '1' : '0',
    });
  }
}

function isConflict(error: unknown): boolean {
  return asHubSpotHttpError(error)?.code === 409;
}

/** Creates the group and properties that are missing; returns (and remembers) the portal's facts. */
export async function installProperties(
  gateway: HubSpotGateway,
  facts: PortalFactsStore,
  portalId: string,
): Promise<PortalFacts> {
  for (const objectType of ['contacts', 'calls']) {
    await gateway
      .call(portalId, 'bulk', (c) =>
        c.crm.properties.groupsApi.create(objectType, {
          name: PROPERTY_GROUP,
          label: 'Autodial',
          displayOrder: -1,
        }),
      )
      .catch((error: unknown) => {
        if (!isConflict(error)) throw error;
      });
  }

  const existing = await gateway.call(portalId, 'bulk', (c) =>
    c.crm.properties.batchApi.read('contacts', {
      archived: false,
      inputs: CONTACT_PROPERTY_DEFINITIONS.map((d) => ({ name: d.name })),
    }),
  );
  const have = new Set(existing.results.map((p) => p.name));
  const missing = CONTACT_PROPERTY_DEFINITIONS.filter((d) => !have.has(d.name));
  if (missing.length) {
    await gateway.call(portalId, 'bulk', (c) =>
      c.crm.properties.batchApi.create('contacts', {
        inputs: missing.map((d) => ({ ...d, groupName: PROPERTY_GROUP }) as never),
      }),
    );
  }

  const uniqueAttemptId = await ensureAttemptIdProperty(gateway, portalId);
  const result = { uniqueAttemptId };
  await facts.set(portalId, result);
  return result;
}

async function ensureAttemptIdProperty(gateway: HubSpotGateway, portalId: string): Promise<boolean> {
  const current = await gateway
    .call(portalId, 'bulk', (c) => c.crm.properties.coreApi.getByName('calls', ATTEMPT_ID_PROPERTY))
    .catch((error: unknown) => {
      if (asHubSpotHttpError(error)?.code === 404) return null;
      throw error;
    });
  if (current) return current.hasUniqueValue === true;
  const create = (unique: boolean) =>
    gateway.call(portalId, 'bulk', (c) =>
      c.crm.properties.coreApi.create('calls', {
        ...CALL_PROPERTY_DEFINITION,
        hasUniqueValue: unique,
        groupName: PROPERTY_GROUP,
      } as never),
    );
  try {
    await create(true);
    return true;
  } catch (error) {
    const http = asHubSpotHttpError(error);
    // A portal (or object) that does not allow unique values answers 400: keep the property, without them.
    if (http?.code !== 400) throw error;
    await create(false);
    return false;
  }
}
