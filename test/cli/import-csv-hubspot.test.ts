/**
 * `import-csv --crm hubspot`: bad rows reported with line and reason and nothing written unless
 * --skip-bad-rows, duplicates merged, contacts matched by phone or email, created/updated 100 a request, then
 * enrolled under their HubSpot ids. HubSpot is the nock'd fake portal; the SDK is real.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import nock from 'nock';
import { importCsvToHubSpot } from '../../src/cli/import-csv.js';
import { mergeDuplicateRows } from '../../src/crm/hubspot/csv-import.js';
import { FakeHubSpotPortal } from '../../src/crm/hubspot/fake-portal.js';
import type { RedisClient } from '../../src/crm/hubspot/redis.js';
import type { EnrollReport } from '../../src/engine/campaigns.js';
import {
  PORTAL,
  deleteByPrefix,
  hubspotParts,
  testRedis,
  uniquePrefix,
  virtualClock,
} from '../crm/hubspot/helpers.js';

let redis: RedisClient;
const prefix = uniquePrefix('csv');
beforeAll(async () => {
  nock.disableNetConnect();
  redis = await testRedis();
});
afterEach(() => nock.cleanAll());
afterAll(async () => {
  // nock patches Node's shared http module: give the network back to the next test file of this worker.
  nock.cleanAll();
  nock.enableNetConnect();
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

function sink() {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _e, done) {
        text += chunk.toString();
        done();
      },
    }),
    { isTTY: false },
  );
  return { stream, text: () => text };
}

function setup() {
  const { gateway } = hubspotParts(redis, prefix, virtualClock());
  const portal = new FakeHubSpotPortal().start();
  portal.contacts.set('501', { phone: '+13055550101', firstname: 'Old', email: 'old@example.com' });
  portal.contacts.set('502', { phone: '(305) 555-0199', email: 'dana@example.com' });
  const enrolled: { contactId: string; phone: string }[][] = [];
  const enroll = async (_p: string, _c: string, rows: unknown[]): Promise<EnrollReport> => {
    enrolled.push(rows as { contactId: string; phone: string }[]);
    return { enrolled: rows.length, skipped: [], dncUnresolved: [] };
  };
  return { gateway, portal, enrolled, enroll };
}

const GOOD = [
  'phone,first_name,last_name,email,do_not_call',
  '+13055550101,Ann,Lee,,no', // matches HubSpot contact 501 by phone
  '+13055550102,Bob,Ray,bob@example.com,no',
  '+13055550102,Bobby,,,yes', // same phone as line 3: merged
  '+13055550103,Dana,Fox,dana@example.com,no', // matches 502 by email
  '+13055550104,Eve,,eve@example.com,no',
  '+13055550105,,,EVE@example.com,no', // same email as line 6: merged
].join('\n');

describe('importCsvToHubSpot', () => {
  it('changes nothing in HubSpot when a row is bad, and says which line and why', async () => {
    const { gateway, portal, enrolled, enroll } = setup();
    const out = sink();
    const result = await importCsvToHubSpot({
      text: `${GOOD}\nnot-a-phone,Zed,,,no\n+13055550106,Amy,,not-an-email,no`,
      defaultRegion: 'US',
      gateway,
      portalId: PORTAL,
      campaignId: 'camp',
      enroll,
      out: out.stream,
    });
    expect(result.ok).toBe(false);
    expect(portal.requests).toEqual([]);
    expect(enrolled).toEqual([]);
    expect(out.text()).toContain('nothing was imported');
    expect(out.text()).toContain('row 8, phone: "not-a-phone" is not a valid phone number');
    expect(out.text()).toContain('row 9, email: not a valid email address');
  });

  it('with --skip-bad-rows: merges duplicates, updates matches, creates the rest, enrolls with HubSpot ids', async () => {
    const { gateway, portal, enrolled, enroll } = setup();
    const out = sink();
    const result = await importCsvToHubSpot({
      text: `${GOOD}\nnot-a-phone,Zed,,,no`,
      defaultRegion: 'US',
      gateway,
      portalId: PORTAL,
      campaignId: 'camp',
      enroll,
      skipBadRows: true,
      out: out.stream,
    });
    expect(result).toMatchObject({ ok: true, imported: 4, merged: 2, created: 2, updated: 2, enrolled: 4 });
    expect(out.text()).toContain('Skipping 1 bad row(s)');
    expect(out.text()).toContain('rows 3, 4: same phone or email, merged into one contact');
    expect(portal.contacts.get('501')).toMatchObject({ firstname: 'Ann', lastname: 'Lee' });
    expect(portal.contacts.get('502')).toMatchObject({ firstname: 'Dana', phone: '+13055550103' });
    const bob = [...portal.contacts.entries()].find(([, p]) => p.phone === '+13055550102')!;
    expect(bob[1]).toMatchObject({
      firstname: 'Bob',
      email: 'bob@example.com',
      autodial_do_not_call: 'true',
    });
    expect(enrolled.flat().map((r) => r.contactId)).toEqual(['501', bob[0], '502', expect.any(String)]);
    expect(portal.count('POST', '/crm/v3/objects/contacts/search')).toBe(1);
    expect(portal.count('POST', '/crm/v3/objects/contacts/batch/create')).toBe(1);
    expect(portal.count('POST', '/crm/v3/objects/contacts/batch/update')).toBe(1);
  });

  it('writes 100 contacts per request', async () => {
    const { gateway, portal, enroll } = setup();
    const rows = Array.from({ length: 250 }, (_, i) => `+1786555${String(1000 + i)},P${i}`);
    const result = await importCsvToHubSpot({
      text: ['phone,first_name', ...rows].join('\n'),
      defaultRegion: 'US',
      gateway,
      portalId: PORTAL,
      campaignId: 'camp',
      enroll,
      out: sink().stream,
    });
    expect(result).toMatchObject({ ok: true, created: 250 });
    expect(portal.count('POST', '/crm/v3/objects/contacts/batch/create')).toBe(3);
    expect(portal.count('POST', '/crm/v3/objects/contacts/search')).toBe(3);
  });
});

describe('mergeDuplicateRows', () => {
  it('joins rows linked through a phone or an email, keeping the first values', () => {
    const row = (n: number, phone: string, email?: string, firstName?: string) => ({
      id: `r${n}`,
      row: n,
      phone,
      doNotCall: false,
      ...(email ? { email } : {}),
      ...(firstName ? { firstName } : {}),
    });
    const merged = mergeDuplicateRows([
      row(2, '+1', 'a@x.com', 'A'),
      row(3, '+2', 'a@x.com', 'B'),
      row(4, '+2', undefined, 'C'),
      row(5, '+3'),
    ]);
    expect(merged.map((m) => m.rows)).toEqual([[2, 3, 4], [5]]);
    expect(merged[0]!.firstName).toBe('A');
  });
});
