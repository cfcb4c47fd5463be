/**
 * The real writeback consumer on the HubSpot adapter: a write whose process "dies" after HubSpot created the
 * engagements (the ledger write fails) is retried and leaves one engagement per attempt; a later wrap-up
 * updates that same engagement; every event is acked.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import type { EngineEvent } from '../../../src/engine/events.js';
import { MemoryStore } from '../../../src/engine/store/memory-store.js';
import { startWriteback } from '../../../src/crm/writeback.js';
import { RedisCallLedger } from '../../../src/crm/hubspot/call-ledger.js';
import type { CallLedger } from '../../../src/crm/hubspot/call-ledger.js';
import { FakeHubSpotPortal } from '../../../src/crm/hubspot/fake-portal.js';
import { HubSpotCrm } from '../../../src/crm/hubspot/hubspot-crm.js';
import type { RedisClient } from '../../../src/crm/hubspot/redis.js';
import { createLogger } from '../../../src/observability/logger.js';
import { PORTAL, deleteByPrefix, hubspotParts, testRedis, uniquePrefix, virtualClock } from './helpers.js';

let redis: RedisClient;
const prefix = uniquePrefix('wb');
beforeAll(async () => {
  nock.disableNetConnect();
  redis = await testRedis();
});
afterEach(() => nock.cleanAll());
afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

class CrashOnceLedger implements CallLedger {
  crashed = false;
  constructor(private readonly inner: CallLedger) {}
  known = (p: string, ids: string[]) => this.inner.known(p, ids);
  markIntent = (p: string, ids: string[], now: number) => this.inner.markIntent(p, ids, now);
  countAttempts = (p: string, items: { campaignId: string; contactId: string; attemptId: string }[]) =>
    this.inner.countAttempts(p, items);
  async remember(p: string, pairs: [string, string][]) {
    if (pairs.length && !this.crashed) {
      this.crashed = true;
      throw new Error('process died after HubSpot answered');
    }
    return this.inner.remember(p, pairs);
  }
}

const finished = (n: number): EngineEvent =>
  ({
    type: 'attempt.finished',
    portalId: PORTAL,
    campaignId: 'camp',
    campaignName: 'Spring',
    attemptId: `p${PORTAL}-a${n}`,
    contactId: `c${n}`,
    to: `+1305555010${n}`,
    from: '+13055550100',
    startedAt: 1_000,
    durationSec: 10,
    disposition: 'CONNECTED',
    outcomeLabel: 'Connected',
    nextState: 'reached',
    at: 2_000,
  }) as EngineEvent;

describe('writeback on HubSpot', () => {
  it('retries a batch that crashed after HubSpot answered: one engagement per attempt, wrap-up on the same one', async () => {
    const clock = virtualClock();
    const ledger = new CrashOnceLedger(new RedisCallLedger(redis, prefix));
    const { calls, gateway, facts } = hubspotParts(redis, prefix, clock, { ledger });
    await facts.set(PORTAL, { uniqueAttemptId: true });
    const portal = new FakeHubSpotPortal().start();
    for (let n = 0; n < 5; n++) portal.contacts.set(`c${n}`, {});
    const crm = new HubSpotCrm(PORTAL, gateway, calls, clock);
    const log = new MemoryStore(clock);
    for (let n = 0; n < 5; n++) await log.append(PORTAL, finished(n));
    await log.append(PORTAL, {
      type: 'attempt.wrapped-up',
      portalId: PORTAL,
      campaignId: 'camp',
      attemptId: `p${PORTAL}-a2`,
      contactId: 'c2',
      to: '+13055550102',
      disposition: 'CALLBACK_REQUESTED',
      outcomeLabel: 'Call back tomorrow',
      notes: 'after 10am',
      nextState: 'reached',
      at: 3_000,
    } as EngineEvent);
    const wb = startWriteback({
      eventLog: log,
      portalId: PORTAL,
      crm,
      consumer: 'w1',
      clock,
      logger: createLogger({ level: 'silent' }),
      batchSize: 100,
      blockMs: 1,
    });
    for (let i = 0; i < 5000 && wb.stats.written < 6; i++) await new Promise((r) => setTimeout(r, 2));
    await wb.stop();
    expect(ledger.crashed).toBe(true);
    expect(wb.stats.written).toBe(6);
    expect(portal.calls.size).toBe(5);
    for (let n = 0; n < 5; n++) expect(portal.callsOfAttempt(`p${PORTAL}-a${n}`)).toHaveLength(1);
    const [wrapped] = portal.callsOfAttempt(`p${PORTAL}-a2`);
    expect(wrapped!.properties.hs_call_body).toBe('Outcome: Call back tomorrow\n\nNotes: after 10am');
    const pending = await log.claimStale(PORTAL, 'crm-writeback', 'inspector', { minIdleMs: 0, count: 100 });
    expect(pending).toEqual([]);
    portal.stop();
    await log.close();
  });
});
