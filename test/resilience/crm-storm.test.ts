/**
 * A CRM rate-limit storm for a whole campaign: the local sample CRM answers 429 to 70% of all writes from start
 * to finish, while reps wrap calls up (DNC while the call is live or just after it, wrong number after it).
 * Every finished attempt still gets exactly one CRM call record, every wrap-up reaches it, every DNC and wrong
 * number flag reaches the contact, each record's lag is finite, and nothing is left pending in the group.
 */
import { describe, it, expect } from '@jest/globals';
import { LocalSampleCrm } from '../../src/crm/local-sample-crm.js';
import type { CallRecord } from '../../src/crm/crm.js';
import { startWriteback } from '../../src/crm/writeback.js';
import { seededRandom } from '../../src/domain/random.js';
import { CampaignService } from '../../src/engine/campaigns.js';
import { acceleratedClock } from '../../src/shared/clock.js';
import { Engine } from '../../src/engine/dialer.js';
import type { StoredEvent } from '../../src/engine/events.js';
import { FINAL_LEAD_STATES } from '../../src/engine/events.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { SimulatedCarrier } from '../../src/telephony/simulator/simulated-carrier.js';
import {
  MONDAY_2PM_NY,
  SHORT_CALLS,
  contactRows,
  duplicates,
  isFinished,
  isPlacedCall,
  nyZones,
  quickRetryCampaign,
  waitUntil,
} from './fixtures.js';
import { generousLimits } from '../engine/fixtures/harness.js';

const PORTAL = '77';
const GROUP = 'crm-writeback';
const CONTACTS = 150;
/** A hundred times real time: the 1-minute retries take 0.6 s of real time. */
const SPEED = 100;

/** Contacts a rep flags DNC as soon as their first call starts, and wrong number once their first call ended. */
const dncTarget = (i: number) => i % 10 === 0;
const wrongNumberTarget = (i: number) => i % 10 === 5;

describe('a CRM rate-limit storm during a whole campaign', () => {
  it('every finished attempt gets one record, every wrap-up and flag lands, nothing stays pending', async () => {
    const clock = acceleratedClock(MONDAY_2PM_NY, SPEED);
    const store = new MemoryStore(clock);
    const campaigns = new CampaignService({ store, clock, zones: nyZones, random: seededRandom(21) });
    const engineErrors: unknown[] = [];
    let engine: Engine | null = null;
    const simulator = new SimulatedCarrier({
      sink: { handleCallEvent: (e) => engine!.handleCallEvent(e) },
      clock,
      seed: 99,
      mix: { human: 0.5, busy: 0.1, 'no-answer': 0.2, machine: 0.1, invalid: 0.05, failed: 0.05 },
      ...SHORT_CALLS,
    });
    engine = new Engine({
      limits: generousLimits,
      store,
      telephony: simulator,
      clock,
      campaigns,
      zones: nyZones,
      random: seededRandom(22),
      onError: (e) => engineErrors.push(e),
    });
    const crm = new LocalSampleCrm({
      rateLimit: { rate: 0.7, retryAfterMs: 400, random: seededRandom(23) },
    });
    const rows = contactRows(CONTACTS, 's', 3000);
    crm.addContacts(
      'all',
      rows.map((r) => ({ id: r.contactId, phone: r.phone })),
    );
    // When (engine time) each attempt's record first landed in the CRM.
    const writtenAt = new Map<string, number>();
    const recordCall = crm.recordCall.bind(crm);
    crm.recordCall = async (record: CallRecord) => {
      const result = await recordCall(record);
      if (!writtenAt.has(record.attemptId)) writtenAt.set(record.attemptId, clock.now());
      return result;
    };
    const metrics = createMetrics();
    const writeback = startWriteback({
      eventLog: store,
      portalId: PORTAL,
      crm,
      consumer: 'storm-1',
      clock,
      logger: silentLogger(),
      metrics,
      blockMs: 50,
      baseBackoffMs: 100,
      maxBackoffMs: 5_000,
      random: seededRandom(24),
    });

    const index = new Map(rows.map((r, i) => [r.contactId, i]));
    const wrapped = new Map<string, { contactId: string; kind: 'dnc' | 'wrong-number'; to?: string }>();
    const wrapErrors: unknown[] = [];
    let stopRep = false;
    let lastId = '0';
    /** A rep watching the live event stream and wrapping calls up as they start or end. */
    const rep = (async () => {
      while (!stopRep) {
        const events: StoredEvent[] = await store.tail(PORTAL, lastId, { count: 500, blockMs: 20 });
        for (const event of events) {
          lastId = event.id;
          if (event.type !== 'attempt.started' && event.type !== 'attempt.finished') continue;
          const i = index.get(event.contactId)!;
          const first = ![...wrapped.values()].some((w) => w.contactId === event.contactId);
          if (!first) continue;
          const kind =
            event.type === 'attempt.started' && dncTarget(i)
              ? 'dnc'
              : isFinished(event) && wrongNumberTarget(i)
                ? 'wrong-number'
                : null;
          if (!kind) continue;
          wrapped.set(event.attemptId, { contactId: event.contactId, kind, to: event.to });
          try {
            await engine!.wrapUp(
              PORTAL,
              event.attemptId,
              kind === 'dnc'
                ? { doNotCall: true, notes: 'asked not to be called again' }
                : { wrongNumber: true },
            );
          } catch (error) {
            wrapErrors.push(error);
          }
        }
      }
    })();

    try {
      const campaign = await campaigns.create(PORTAL, quickRetryCampaign('Storm'), 'storm');
      expect((await campaigns.enroll(PORTAL, campaign.campaignId, rows)).enrolled).toBe(CONTACTS);
      engine.start([PORTAL]);
      await campaigns.act(PORTAL, campaign.campaignId, 'start');

      const states = () => store.leadStates(PORTAL, campaign.campaignId);
      await waitUntil(
        async () => {
          const s = await states();
          return FINAL_LEAD_STATES.reduce((sum, k) => sum + s[k], 0) === CONTACTS;
        },
        'every contact to reach a final state',
        { everyMs: 50, maxPolls: 2400, describe: states },
      );
      await engine.stop();
      await waitUntil(() => simulator.stats().active === 0, 'the carrier to go idle', { maxPolls: 600 });

      // the attempts that were calls (a dial that never reached the carrier gets no CRM record)
      const finishedEvents = async () =>
        (await store.tail(PORTAL, '0', { count: 1_000_000, blockMs: 0 })).filter(isPlacedCall);
      const wrapUpEvents = async () =>
        (await store.tail(PORTAL, '0', { count: 1_000_000, blockMs: 0 })).filter(
          (e) => e.type === 'attempt.wrapped-up',
        );
      // (`stats.deferred` counts every deferral ever made; a deferred entry stays pending and is retried, so the
      // wait is for every record plus nothing left pending for the consumer)
      const pendingForWriteback = async () =>
        (await store.readPending(PORTAL, GROUP, 'storm-1', { afterId: '0', count: 100_000 })).length;
      await waitUntil(
        async () => writtenAt.size === (await finishedEvents()).length && (await pendingForWriteback()) === 0,
        'the writeback to write every finished attempt through the storm',
        {
          everyMs: 50,
          maxPolls: 2400,
          describe: async () => ({
            written: writtenAt.size,
            finished: (await finishedEvents()).length,
            pending: await pendingForWriteback(),
          }),
        },
      );
      // The wrap-ups landed too: give the writeback the time to apply the last ones, then stop it.
      // A wrapped attempt that never reached the carrier has no call record: only its flags land.
      const placedIds = new Set((await finishedEvents()).map((e) => e.attemptId));
      await waitUntil(
        () =>
          [...wrapped].every(([attemptId, w]) => {
            const record = crm.callByAttempt(attemptId);
            const contact = crm.contact(w.contactId)!;
            const wanted = w.kind === 'dnc' ? 'DO_NOT_CALL' : 'WRONG_NUMBER';
            const recordOk = placedIds.has(attemptId) ? record?.disposition === wanted : record === undefined;
            return w.kind === 'dnc'
              ? contact.doNotCall === true && recordOk
              : crm.wrongNumbersOf(w.contactId).includes(w.to!) && recordOk;
          }),
        'every wrap-up to reach the CRM',
        {
          everyMs: 50,
          maxPolls: 2400,
          describe: () =>
            [...wrapped]
              .filter(
                ([attemptId]) =>
                  !['DO_NOT_CALL', 'WRONG_NUMBER'].includes(crm.callByAttempt(attemptId)?.disposition ?? ''),
              )
              .slice(0, 5),
        },
      );
      stopRep = true;
      await rep;
      await writeback.stop();

      // The storm really raged, all run long.
      expect(crm.counts().rateLimited).toBeGreaterThan(CONTACTS);
      expect(writeback.stats.rateLimited).toBe(crm.counts().rateLimited);
      expect(engineErrors).toEqual([]);
      expect(wrapErrors).toEqual([]);

      // Exactly one record per finished attempt.
      const finished = await finishedEvents();
      expect(duplicates(finished.map((e) => e.attemptId))).toEqual([]);
      const records = crm.allCalls();
      expect(duplicates(records.map((r) => r.attemptId))).toEqual([]);
      expect(new Set(records.map((r) => r.attemptId))).toEqual(new Set(finished.map((e) => e.attemptId)));

      // Every wrap-up was made and reached the CRM: DNC and wrong-number flags on the contacts.
      const dncContacts = rows.filter((_, i) => dncTarget(i)).map((r) => r.contactId);
      const wrongContacts = rows.filter((_, i) => wrongNumberTarget(i)).map((r) => r.contactId);
      const wrappedContacts = (kind: 'dnc' | 'wrong-number') =>
        [...wrapped.values()].filter((w) => w.kind === kind).map((w) => w.contactId);
      expect(wrappedContacts('dnc').sort()).toEqual([...dncContacts].sort());
      expect(wrappedContacts('wrong-number').sort()).toEqual([...wrongContacts].sort());
      expect((await wrapUpEvents()).length).toBeGreaterThan(0);
      for (const contactId of dncContacts) {
        expect(crm.contact(contactId)!.doNotCall).toBe(true);
        const lead = await store.getLead(PORTAL, campaign.campaignId, contactId);
        expect(lead!.progress.state).toBe('dnc');
      }
      for (const contactId of wrongContacts) {
        expect(crm.wrongNumbersOf(contactId)).toEqual([rows[index.get(contactId)!]!.phone]);
      }
      // Nobody else was flagged.
      const flagged = new Set([...dncContacts]);
      expect(
        rows
          .filter((r) => crm.contact(r.contactId)!.doNotCall)
          .map((r) => r.contactId)
          .sort(),
      ).toEqual([...flagged].sort());

      // Lag: each record landed at a finite engine time after its attempt finished, and the metric saw each one.
      for (const event of finished) {
        const at = writtenAt.get(event.attemptId);
        expect(Number.isFinite(at)).toBe(true);
        expect(at!).toBeGreaterThanOrEqual(event.at);
      }
      const lag = await metrics.writebackLagSeconds.get();
      const count = lag.values.find((v) => v.metricName?.endsWith('_count'))?.value;
      const sum = lag.values.find((v) => v.metricName?.endsWith('_sum'))?.value;
      expect(count).toBe(finished.length);
      expect(Number.isFinite(sum)).toBe(true);

      // Nothing pending: an inspector claiming everything idle finds no entry.
      const pending = await store.claimStale(PORTAL, GROUP, 'inspector', { minIdleMs: 0, count: 100_000 });
      expect(pending).toEqual([]);
    } finally {
      stopRep = true;
      await rep;
      await writeback.stop();
      await engine.stop();
      await store.close();
    }
  }, 240_000);
});
