/**
 * Property: whatever the campaign, the moment and the flag (our DNC property or an unsubscribe), once HubSpot's
 * webhook is acknowledged the engine requests no dial of a flagged contact's number, and the carrier sees none
 * but those already requested before (a dial placed is not recalled). The engine runs on, with real Redis.
 * Breaking markDoNotCall (e.g. only unenrolling one campaign, or flagging after the 200) makes it fail.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { CallEvent } from '../../../../src/domain/call.js';
import { messageCampaign } from '../../../engine/fixtures/harness.js';
import { P, inboundApp, inboundHarness, propertyChange, signedPost } from './fixtures.js';

const settle = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('DNC from HubSpot (property)', () => {
  it('no flagged number is dialed after the webhook is acknowledged, in any campaign', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 6 }), // contacts
        fc.integer({ min: 1, max: 2 }), // campaigns holding them
        fc.integer({ min: 0, max: 4 }), // engine passes before the webhook
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), // which contacts get flagged
        fc.constantFrom('autodial_do_not_call', 'hs_email_optout'),
        async (n, campaignCount, passesBefore, flagged, property) => {
          const h = await inboundHarness('hsdncprop');
          try {
            const rows = Array.from({ length: n }, (_, i) => ({
              contactId: `${700 + i}`,
              phone: `+1212555${1700 + i}`,
              timeZone: 'America/New_York',
            }));
            for (let c = 0; c < campaignCount; c++) {
              const pace = { callsPerSecond: 1, maxConcurrentCalls: 10 };
              await h.campaigns.create(P, messageCampaign(pace), `camp${c}`);
              await h.campaigns.enroll(P, `camp${c}`, rows);
              await h.campaigns.act(P, `camp${c}`, 'start');
            }
            const ended = new Set<string>();
            const step = async () => {
              h.clock.advance(1000);
              await h.engine.pass(P);
              await settle();
              for (const d of h.telephony.dials) {
                if (ended.has(d.attemptId)) continue;
                ended.add(d.attemptId);
                await h.engine.handleCallEvent({
                  type: 'status',
                  attemptId: d.attemptId,
                  providerCallId: h.telephony.callIdOf(d.attemptId),
                  status: 'busy',
                  sequence: 2,
                  at: h.clock.now(),
                } as CallEvent);
              }
            };
            for (let i = 0; i < passesBefore; i++) await step();
            const targets = rows.filter((_, i) => flagged[i]);
            if (!targets.length) targets.push(rows[n - 1]!);
            // Dial requests recorded before the webhook: those may still reach the carrier (not recalled).
            const startedBefore = new Set(
              (await h.store.tail(P, '0', { count: 10_000, blockMs: 0 }))
                .filter((e) => e.type === 'attempt.started')
                .map((e) => (e.type === 'attempt.started' ? e.attemptId : '')),
            );
            const res = await signedPost(
              inboundApp(h),
              '/hubspot/webhooks',
              targets.map((r, i) => propertyChange(r.contactId, property, 'true', h.clock.now() + i)),
            );
            expect(res.status).toBe(200);
            // long enough for busy retries (minimum gap 30 min) to come due
            for (let i = 0; i < 6; i++) {
              h.clock.advance(31 * 60_000);
              await step();
            }
            const flaggedNumbers = new Set(targets.map((t) => t.phone));
            const late = h.telephony.dials.filter(
              (d) => flaggedNumbers.has(d.to) && !startedBefore.has(d.attemptId),
            );
            expect(late).toEqual([]);
            // and the engine requested no new dial of them either
            const startedAfter = (await h.store.tail(P, '0', { count: 10_000, blockMs: 0 })).filter(
              (e) =>
                e.type === 'attempt.started' && !startedBefore.has(e.attemptId) && flaggedNumbers.has(e.to),
            );
            expect(startedAfter).toEqual([]);
            expect(h.telephony.dials.length).toBeGreaterThan(0);
          } finally {
            await h.close();
          }
        },
      ),
      { numRuns: 10, seed: 20301 },
    );
  });
});
