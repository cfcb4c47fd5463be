/** Install-time properties: created when missing, left alone when present, unique attempt id detected. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { CONTACT_PROPERTY_DEFINITIONS, installProperties } from '../../../src/crm/hubspot/properties.js';
import type { RedisClient } from '../../../src/crm/hubspot/redis.js';
import {
  HUBSPOT,
  PORTAL,
  deleteByPrefix,
  hubspotParts,
  testRedis,
  uniquePrefix,
  virtualClock,
} from './helpers.js';

let redis: RedisClient;
const prefixes: string[] = [];
beforeAll(async () => {
  nock.disableNetConnect();
  redis = await testRedis();
});
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});
afterAll(async () => {
  // nock patches Node's shared http module: give the network back to the next test file of this worker.
  nock.cleanAll();
  nock.enableNetConnect();
  for (const p of prefixes) await deleteByPrefix(redis, p);
  await redis.quit();
});

function parts() {
  const prefix = uniquePrefix('props');
  prefixes.push(prefix);
  return hubspotParts(redis, prefix, virtualClock());
}

const property = (name: string, extra: object = {}) => ({
  name,
  label: name,
  type: 'string',
  fieldType: 'text',
  groupName: 'autodial',
  description: '',
  options: [],
  ...extra,
});
const batch = (results: unknown[]) => ({
  status: 'COMPLETE',
  results,
  startedAt: '2026-01-01T00:00:00Z',
  completedAt: '2026-01-01T00:00:00Z',
});

describe('installProperties', () => {
  it('creates the group, the missing contact properties and a unique autodial_attempt_id', async () => {
    const { gateway, facts } = parts();
    const created: { inputs: { name: string; groupName: string }[] }[] = [];
    let callProperty: Record<string, unknown> = {};
    nock(HUBSPOT)
      .post('/crm/v3/properties/contacts/groups')
      .reply(201, { name: 'autodial', label: 'Autodial', displayOrder: -1, archived: false })
      .post('/crm/v3/properties/calls/groups')
      .reply(409, { status: 'error', message: 'group already exists' })
      .post('/crm/v3/properties/contacts/batch/read')
      .reply(200, batch([property('autodial_do_not_call'), property('autodial_last_outcome')]))
      .post('/crm/v3/properties/contacts/batch/create', (b: (typeof created)[number]) => {
        created.push(b);
        return true;
      })
      .reply(201, batch([]))
      .get('/crm/v3/properties/calls/autodial_attempt_id')
      .query(true)
      .reply(404, { status: 'error', message: 'not found' })
      .post('/crm/v3/properties/calls', (b: Record<string, unknown>) => {
        callProperty = b;
        return true;
      })
      .reply(201, property('autodial_attempt_id', { hasUniqueValue: true }));
    await expect(installProperties(gateway, facts, PORTAL)).resolves.toEqual({ uniqueAttemptId: true });
    const names = created[0]!.inputs.map((i) => i.name);
    expect(names.sort()).toEqual(
      CONTACT_PROPERTY_DEFINITIONS.map((d) => d.name)
        .filter((n) => n !== 'autodial_do_not_call' && n !== 'autodial_last_outcome')
        .sort(),
    );
    expect(created[0]!.inputs.every((i) => i.groupName === 'autodial')).toBe(true);
    expect(callProperty).toMatchObject({
      name: 'autodial_attempt_id',
      hasUniqueValue: true,
      groupName: 'autodial',
    });
    expect(await facts.get(PORTAL)).toEqual({ uniqueAttemptId: true });
  });

  it('falls back to a plain property when the portal refuses unique values, and remembers it', async () => {
    const { gateway, facts } = parts();
    const uniqueAsked: boolean[] = [];
    nock(HUBSPOT)
      .post(/\/crm\/v3\/properties\/(contacts|calls)\/groups/)
      .times(2)
      .reply(409, { status: 'error' })
      .post('/crm/v3/properties/contacts/batch/read')
      .reply(200, batch(CONTACT_PROPERTY_DEFINITIONS.map((d) => property(d.name))))
      .get('/crm/v3/properties/calls/autodial_attempt_id')
      .query(true)
      .reply(404, {})
      .post('/crm/v3/properties/calls', (b: { hasUniqueValue: boolean }) => {
        uniqueAsked.push(b.hasUniqueValue);
        return true;
      })
      .times(2)
      .reply((_uri, body) =>
        (body as { hasUniqueValue: boolean }).hasUniqueValue
          ? [400, { status: 'error', message: 'hasUniqueValue is not supported for this object' }]
          : [201, property('autodial_attempt_id')],
      );
    await expect(installProperties(gateway, facts, PORTAL)).resolves.toEqual({ uniqueAttemptId: false });
    expect(uniqueAsked).toEqual([true, false]);
    expect(await facts.get(PORTAL)).toEqual({ uniqueAttemptId: false });
  });

  it('is idempotent: with everything present it creates nothing and reads the unique flag', async () => {
    const { gateway, facts } = parts();
    nock(HUBSPOT)
      .post(/\/crm\/v3\/properties\/(contacts|calls)\/groups/)
      .times(2)
      .reply(409, { status: 'error' })
      .post('/crm/v3/properties/contacts/batch/read')
      .reply(200, batch(CONTACT_PROPERTY_DEFINITIONS.map((d) => property(d.name))))
      .get('/crm/v3/properties/calls/autodial_attempt_id')
      .query(true)
      .reply(200, property('autodial_attempt_id', { hasUniqueValue: true }));
    await expect(installProperties(gateway, facts, PORTAL)).resolves.toEqual({ uniqueAttemptId: true });
  });
});
