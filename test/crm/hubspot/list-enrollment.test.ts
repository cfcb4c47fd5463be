/**
 * Enrollment from a HubSpot list: memberships paged 250 at a time, contacts read 100 at a time with only the
 * needed properties, the campaign's phone-field order, progress saved in Redis, and a resume after a crash.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import type { EnrollReport } from '../../../src/engine/campaigns.js';
import { FakeHubSpotPortal } from '../../../src/crm/hubspot/fake-portal.js';
import { ListEnrollment } from '../../../src/crm/hubspot/list-enrollment.js';
import type { EnrollmentState } from '../../../src/crm/hubspot/list-enrollment.js';
import type { RedisClient } from '../../../src/crm/hubspot/redis.js';
import { PORTAL, deleteByPrefix, hubspotParts, testRedis, uniquePrefix, virtualClock } from './helpers.js';

let redis: RedisClient;
const prefixes: string[] = [];
beforeAll(async () => {
  nock.disableNetConnect();
  redis = await testRedis();
});
afterEach(() => nock.cleanAll());
afterAll(async () => {
  // nock patches Node's shared http module: give the network back to the next test file of this worker.
  nock.cleanAll();
  nock.enableNetConnect();
  for (const p of prefixes) await deleteByPrefix(redis, p);
  await redis.quit();
});

type Row = { contactId: string; phone: string; timeZone?: string; doNotCall: boolean };

class RecordingEnroller {
  rows: Row[] = [];
  calls = 0;
  constructor(private readonly crashOnCall?: number) {}
  async enroll(_p: string, _c: string, rows: unknown[]): Promise<EnrollReport> {
    this.calls += 1;
    if (this.calls === this.crashOnCall) throw new Error('process died mid-enrollment');
    this.rows.push(...(rows as Row[]));
    return { enrolled: rows.length, skipped: [], dncUnresolved: [] };
  }
}

function listOf(size: number) {
  return Array.from({ length: size }, (_, i) => ({
    id: String(10_000 + i),
    properties: {
      firstname: `F${i}`,
      lastname: 'L',
      email: `c${i}@example.com`,
      ...(i % 3 === 0 ? {} : { phone: `+1305555${String(i).padStart(4, '0')}` }),
      mobilephone: `+1786555${String(i).padStart(4, '0')}`,
      hs_timezone: 'america_slash_new_york',
      ...(i === 7 ? { autodial_do_not_call: 'true' } : {}),
    },
  }));
}

function setup(size: number) {
  const prefix = uniquePrefix('enroll');
  prefixes.push(prefix);
  const clock = virtualClock();
  const { gateway } = hubspotParts(redis, prefix, clock);
  const portal = new FakeHubSpotPortal().start();
  portal.addList('L1', listOf(size));
  return { prefix, gateway, portal };
}

describe('ListEnrollment', () => {
  it('pages 250 memberships, reads 100 contacts a request with only needed properties, in the campaign field order', async () => {
    const { prefix, gateway, portal } = setup(1234);
    const enroller = new RecordingEnroller();
    const progress: EnrollmentState[] = [];
    const enrollment = new ListEnrollment({
      gateway,
      redis,
      keyPrefix: prefix,
      campaigns: enroller,
      onProgress: (s) => progress.push(s),
    });
    const final = await enrollment.run({
      portalId: PORTAL,
      campaignId: 'camp',
      listId: 'L1',
      phoneFields: ['phone', 'mobilephone'],
    });
    expect(final).toMatchObject({ processed: 1234, enrolled: 1234, total: 1234, done: true, carry: [] });
    expect(portal.count('GET', '/crm/v3/lists/L1/memberships')).toBe(5);
    expect(portal.count('POST', '/crm/v3/objects/contacts/batch/read')).toBe(13);
    expect(enroller.rows).toHaveLength(1234);
    expect(new Set(enroller.rows.map((r) => r.contactId)).size).toBe(1234);
    // phone first, mobile when there is no phone; zone converted; the DNC flag travels.
    expect(enroller.rows.find((r) => r.contactId === '10001')).toEqual({
      contactId: '10001',
      phone: '+13055550001',
      timeZone: 'America/New_York',
      doNotCall: false,
    });
    expect(enroller.rows.find((r) => r.contactId === '10003')!.phone).toBe('+17865550003');
    expect(enroller.rows.find((r) => r.contactId === '10007')!.doNotCall).toBe(true);
    // Progress is reported as it goes and saved.
    expect(progress.map((p) => p.processed)).toEqual([200, 500, 700, 1000, 1234]);
    expect(await enrollment.progress(PORTAL, 'camp', 'L1')).toMatchObject({ done: true, processed: 1234 });
    // A finished enrollment run again reads nothing.
    await enrollment.run({ portalId: PORTAL, campaignId: 'camp', listId: 'L1' });
    expect(portal.count('GET', '/crm/v3/lists/L1/memberships')).toBe(5);
  });

  it('asks HubSpot only for the needed properties, including a custom phone field the campaign chose', async () => {
    const { prefix, gateway, portal } = setup(3);
    const enroller = new RecordingEnroller();
    await new ListEnrollment({ gateway, redis, keyPrefix: prefix, campaigns: enroller }).run({
      portalId: PORTAL,
      campaignId: 'camp',
      listId: 'L1',
      phoneFields: ['work_phone', 'mobilephone'],
    });
    const read = portal.requests.find((r) => r.path === '/crm/v3/objects/contacts/batch/read')!;
    expect((read.body as { properties: string[] }).properties.sort()).toEqual(
      [
        'phone',
        'mobilephone',
        'work_phone',
        'firstname',
        'lastname',
        'hs_timezone',
        'state',
        'country',
        'hs_email_optout',
        'autodial_do_not_call',
        'autodial_wrong_number',
        'autodial_wrong_number_phone',
      ].sort(),
    );
    expect(enroller.rows.map((r) => r.phone)).toEqual(['+17865550000', '+17865550001', '+17865550002']);
  });

  it('resumes after a crash from the saved cursor, without re-reading the pages already enrolled', async () => {
    const { prefix, gateway, portal } = setup(1000);
    const crashing = new RecordingEnroller(3);
    const first = new ListEnrollment({ gateway, redis, keyPrefix: prefix, campaigns: crashing });
    await expect(first.run({ portalId: PORTAL, campaignId: 'camp', listId: 'L1' })).rejects.toThrow(
      /process died/,
    );
    const saved = await first.progress(PORTAL, 'camp', 'L1');
    expect(saved).toMatchObject({ processed: 500, done: false });
    const pagesBefore = portal.count('GET', '/crm/v3/lists/L1/memberships');
    expect(pagesBefore).toBe(3);

    const enroller = new RecordingEnroller();
    const second = new ListEnrollment({ gateway, redis, keyPrefix: prefix, campaigns: enroller });
    const final = await second.run({ portalId: PORTAL, campaignId: 'camp', listId: 'L1' });
    expect(final).toMatchObject({ processed: 1000, done: true });
    // Only the page in flight at the crash is read again.
    expect(portal.count('GET', '/crm/v3/lists/L1/memberships') - pagesBefore).toBe(2);
    const all = new Set([...crashing.rows, ...enroller.rows].map((r) => r.contactId));
    expect(all.size).toBe(1000);
    expect(enroller.rows.map((r) => r.contactId)).not.toContain(crashing.rows[0]!.contactId);
  });
});
