/**
 * Call logging through the real SDK against a nock'd portal: the engagement's properties and association,
 * batches, exactly once across a crash after HubSpot answered (both with a unique attempt-id property and with
 * the recorded-intent fallback), and the wrap-up updating the same engagement.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import type { CallRecord } from '../../../src/crm/crm.js';
import { CallRecordNotFoundError, CrmRateLimitError } from '../../../src/crm/crm.js';
import { RedisCallLedger } from '../../../src/crm/hubspot/call-ledger.js';
import type { CallLedger } from '../../../src/crm/hubspot/call-ledger.js';
import { FakeHubSpotPortal } from '../../../src/crm/hubspot/fake-portal.js';
import { HubSpotCrm } from '../../../src/crm/hubspot/hubspot-crm.js';
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

function record(n: number, extra: Partial<CallRecord> = {}): CallRecord {
  return {
    attemptId: `p${PORTAL}-att-${n}`,
    portalId: PORTAL,
    contactId: `c${n}`,
    campaignId: 'camp-1',
    campaignName: 'Spring renewals',
    toNumber: '+13055550123',
    fromNumber: '+13055550100',
    startedAt: Date.UTC(2026, 11, 4, 15, 0, n),
    durationSec: 42.5,
    disposition: 'CONNECTED',
    outcomeLabel: 'Connected',
    notes: 'asked for a quote',
    recordingUrl: 'https://api.twilio.com/rec/RE1',
    ...extra,
  };
}

/** A ledger that fails to record the first time: the process "dies" after HubSpot created the engagement. */
class CrashingLedger implements CallLedger {
  crashes = 1;
  constructor(private readonly inner: CallLedger) {}
  known(p: string, ids: string[]) {
    return this.inner.known(p, ids);
  }
  async remember(p: string, pairs: [string, string][]) {
    if (pairs.length && this.crashes-- > 0) throw new Error('process died before recording the engagement');
    return this.inner.remember(p, pairs);
  }
  markIntent(p: string, ids: string[], now: number) {
    return this.inner.markIntent(p, ids, now);
  }
  countAttempts(p: string, items: { campaignId: string; contactId: string; attemptId: string }[]) {
    return this.inner.countAttempts(p, items);
  }
}

function setup(options: { unique: boolean; crash?: boolean }) {
  const prefix = uniquePrefix('calls');
  prefixes.push(prefix);
  const clock = virtualClock();
  const crashing = options.crash ? new CrashingLedger(new RedisCallLedger(redis, prefix)) : undefined;
  const parts = hubspotParts(redis, prefix, clock, crashing ? { ledger: crashing } : {});
  const portal = new FakeHubSpotPortal({ uniqueAttemptId: options.unique }).start();
  for (let n = 0; n < 5; n++) portal.contacts.set(`c${n}`, { firstname: `C${n}` });
  const crm = new HubSpotCrm(PORTAL, parts.gateway, parts.calls, clock);
  return { ...parts, clock, portal, crm, prefix };
}

describe('HubSpot call logging', () => {
  let env: ReturnType<typeof setup>;
  beforeEach(async () => {
    env = setup({ unique: true });
    await env.facts.set(PORTAL, { uniqueAttemptId: true });
  });

  it('writes a batch as one create request, with every property and the contact association (194)', async () => {
    const ids = await env.crm.recordCalls([
      record(1),
      record(2, { disposition: 'NO_ANSWER', outcomeLabel: 'No answer', durationSec: 0 }),
    ]);
    expect(ids).toHaveLength(2);
    expect(env.portal.count('POST', '/crm/v3/objects/calls/batch/create')).toBe(1);
    const [call] = env.portal.callsOfAttempt(record(1).attemptId);
    expect(call!.contactIds).toEqual(['c1']);
    expect(call!.properties).toEqual({
      autodial_attempt_id: record(1).attemptId,
      hs_timestamp: new Date(record(1).startedAt).toISOString(),
      hs_call_direction: 'OUTBOUND',
      hs_call_status: 'COMPLETED',
      hs_call_duration: '42500',
      hs_call_from_number: '+13055550100',
      hs_call_to_number: '+13055550123',
      hs_call_title: 'Autodial: Spring renewals',
      hs_call_body: 'Outcome: Connected\n\nNotes: asked for a quote',
      hs_call_recording_url: 'https://api.twilio.com/rec/RE1',
      hs_call_disposition: 'f240bbac-87c9-4f6e-bf70-924b57d47db7',
    });
    const [second] = env.portal.callsOfAttempt(record(2).attemptId);
    expect(second!.properties).toMatchObject({
      hs_call_status: 'NO_ANSWER',
      hs_call_disposition: '73a0d17f-1163-4015-bdd5-ec830791da20',
    });
    // One batch update of the contacts' dialer properties.
    expect(env.portal.count('POST', '/crm/v3/objects/contacts/batch/update')).toBe(1);
    expect(env.portal.contacts.get('c1')).toMatchObject({
      autodial_last_outcome: 'Connected',
      autodial_campaign_attempts: '1',
    });
    // Written again (a redelivery): nothing new in HubSpot.
    await env.crm.recordCalls([record(1), record(2)]);
    expect(env.portal.count('POST', '/crm/v3/objects/calls/batch/create')).toBe(1);
    expect(env.portal.calls.size).toBe(2);
    // A second attempt to the same contact in the campaign counts 2; its redelivery still counts 2.
    await env.crm.recordCalls([record(4, { contactId: 'c1' })]);
    await env.crm.recordCalls([record(4, { contactId: 'c1' })]);
    expect(env.portal.contacts.get('c1')!.autodial_campaign_attempts).toBe('2');
  });

  it('wrap-up updates the same engagement', async () => {
    const [{ id }] = (await env.crm.recordCalls([record(3)])) as [{ id: string }];
    await env.crm.updateCall(record(3).attemptId, {
      disposition: 'BUSY',
      outcomeLabel: 'Busy',
      notes: 'call later',
    });
    expect(env.portal.calls.size).toBe(1);
    expect(env.portal.calls.get(id)!.properties).toMatchObject({
      hs_call_body: 'Outcome: Busy\n\nNotes: call later',
      hs_call_disposition: '9d9162e7-6cf3-4944-bf63-4dff82258764',
    });
    await expect(
      env.crm.updateCall('p4242-att-unknown', { disposition: 'BUSY', outcomeLabel: 'Busy' }),
    ).rejects.toBeInstanceOf(CallRecordNotFoundError);
  });

  it('sets DNC and wrong-number properties on the contact', async () => {
    await env.crm.setDoNotCall('c4', true, 'asked on the call');
    await env.crm.markWrongNumber('c4', '+13055550199');
    expect(env.portal.contacts.get('c4')).toMatchObject({
      autodial_do_not_call: 'true',
      autodial_dnc_reason: 'asked on the call',
      autodial_wrong_number: 'true',
      autodial_wrong_number_phone: '+13055550199',
    });
    expect(env.portal.contacts.get('c4')!.autodial_dnc_date).toMatch(/^2026-12-04T/);
  });
});

describe('exactly once across a crash after HubSpot answered', () => {
  it('with a unique attempt id: the retry adopts the engagement HubSpot already has', async () => {
    const env = setup({ unique: true, crash: true });
    await env.facts.set(PORTAL, { uniqueAttemptId: true });
    await expect(env.crm.recordCalls([record(1), record(2)])).rejects.toThrow(/process died/);
    expect(env.portal.calls.size).toBe(2);
    const ids = await env.crm.recordCalls([record(1), record(2)]);
    expect(env.portal.calls.size).toBe(2);
    expect(env.portal.callsOfAttempt(record(1).attemptId)).toHaveLength(1);
    expect(ids.map((r) => r.id).sort()).toEqual([...env.portal.calls.keys()].sort());
    // The wrap-up finds it without another search.
    await env.crm.updateCall(record(1).attemptId, { disposition: 'CONNECTED', outcomeLabel: 'Sold' });
    expect(env.portal.count('POST', '/crm/v3/objects/calls/search')).toBe(0);
  });

  it('without unique values: the recorded intent makes the retry search (once indexed) instead of re-creating', async () => {
    const env = setup({ unique: false, crash: true });
    await env.facts.set(PORTAL, { uniqueAttemptId: false });
    await expect(env.crm.recordCalls([record(1)])).rejects.toThrow(/process died/);
    expect(env.portal.calls.size).toBe(1);
    // Too early to trust the search index: wait, never create.
    await expect(env.crm.recordCalls([record(1)])).rejects.toBeInstanceOf(CrmRateLimitError);
    env.clock.advance(61_000);
    const [{ id }] = (await env.crm.recordCalls([record(1), record(2)])) as [{ id: string }];
    expect(env.portal.callsOfAttempt(record(1).attemptId).map((c) => c.id)).toEqual([id]);
    expect(env.portal.callsOfAttempt(record(2).attemptId)).toHaveLength(1);
    expect(env.portal.count('POST', '/crm/v3/objects/calls/batch/create')).toBe(2);
  });
});
