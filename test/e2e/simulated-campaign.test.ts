/**
 * A campaign end to end through the real parts: the composition root's Engine, store (in-process, then Redis),
 * SimulatedCarrier on an accelerated clock, and the CRM writeback into the local sample CRM. Every contact
 * reaches a final state, every attempt finishes exactly once, the outcome mix follows the configured mix, and
 * the CRM holds one record per attempt.
 */
import { describe, it, expect } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { composeBackend } from '../../src/app/compose.js';
import { REDIS_URL, connectTestRedis, deleteByPrefix } from '../engine/redis-helpers.js';
import { loadEnv } from '../../src/config/env.js';
import { LocalSampleCrm } from '../../src/crm/local-sample-crm.js';
import { acceleratedClock } from '../../src/shared/clock.js';
import { FINAL_LEAD_STATES } from '../../src/engine/events.js';
import type { StoredEvent } from '../../src/engine/events.js';
import { createLogger } from '../../src/observability/logger.js';

const CONTACTS = 150;
/**
 * Moderate on purpose: acceleratedClock advances with real time whatever the process is doing, so at a much
 * faster clock a busy moment could let leases run out before the simulator's callbacks arrive.
 */
const SPEED = 300;
/** Monday 10:00 in New York: the window is open from the start. */
const START = DateTime.fromISO('2030-01-07T10:00:00', { zone: 'America/New_York' }).toMillis();
const MIX = { human: 0.4, busy: 0.2, 'no-answer': 0.3, failed: 0.1, machine: 0, invalid: 0 };
/** What each simulated outcome becomes in the CRM for a recorded message with AMD off. */
const DISPOSITION_OF = {
  human: 'LEFT_LIVE_MESSAGE',
  busy: 'BUSY',
  'no-answer': 'NO_ANSWER',
  failed: 'FAILED',
} as const;

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runCampaign(env: Record<string, string>) {
  const clock = acceleratedClock(START, SPEED);
  const crm = new LocalSampleCrm();
  const areas = ['212', '646', '718'];
  const contacts = Array.from({ length: CONTACTS }, (_, i) => ({
    id: `e2e-${i}`,
    phone: `+1${areas[i % 3]}55501${String(Math.floor(i / 3)).padStart(2, '0')}`,
    timeZone: 'America/New_York',
  }));
  crm.addContacts('L', contacts);
  const backend = await composeBackend(loadEnv(env), {
    clock,
    crm,
    logger: createLogger({ level: 'silent' }),
    zones: { candidateZones: async () => ['America/New_York'] },
    simulator: { seed: 4242, mix: MIX },
    engine: {
      timings: { claimLeaseMs: 600_000, callbackSilenceMs: 3_600_000, amdGraceMs: 60_000 },
    },
    writeback: { blockMs: 100 },
    drainTimeoutMs: 30_000,
  });
  const { portalId, campaigns } = backend;
  try {
    const campaign = await campaigns.create(portalId, {
      name: 'E2E reminders',
      callerIds: ['+12125550100'],
      dialMode: { mode: 'message' },
      message: { say: 'Your appointment is tomorrow at nine.' },
      amd: { detection: 'off', onMachine: 'hangup' },
      pace: { callsPerSecond: 5, maxConcurrentCalls: 20 },
      retry: {
        strategy: 'intervals',
        delaysMinutes: [30],
        maxAttempts: 3,
        maxRetryDays: 2,
        minGapMinutes: 30,
      },
    });
    const page = await crm.listContacts('L');
    let rows = page.contacts;
    for (let next = page.next; next;) {
      const more = await crm.listContacts('L', next);
      rows = [...rows, ...more.contacts];
      next = more.next;
    }
    const enrolled = await campaigns.enroll(
      portalId,
      campaign.campaignId,
      rows.map((c) => ({ contactId: c.id, phone: c.phone!, timeZone: c.timeZone! })),
    );
    expect(enrolled.enrolled).toBe(CONTACTS);
    await backend.start();
    await campaigns.act(portalId, campaign.campaignId, 'start');
    // Bounded by simulated time (3 days is far beyond this retry policy), never by a wall-clock threshold.
    let states = await backend.store.leadStates(portalId, campaign.campaignId);
    while (clock.now() < START + 3 * 86_400_000) {
      states = await backend.store.leadStates(portalId, campaign.campaignId);
      if (FINAL_LEAD_STATES.reduce((n, s) => n + states[s], 0) === CONTACTS) break;
      await wait(50);
    }
    await backend.engine.stop();
    await backend.simulator!.whenIdle();
    const events: StoredEvent[] = [];
    for (let after = '0'; ;) {
      const batch = await backend.store.tail(portalId, after, { count: 1000, blockMs: 0 });
      if (!batch.length) break;
      events.push(...batch);
      after = batch[batch.length - 1]!.id;
    }
    const placed = events.filter((e) => e.type === 'attempt.finished' && e.placed !== false);
    for (let i = 0; i < 400 && crm.counts().calls < placed.length; i++) await wait(25);
    return { states, events, crm, simulator: backend.simulator!.stats() };
  } finally {
    await backend.close();
  }
}

function assertCampaign(result: Awaited<ReturnType<typeof runCampaign>>) {
  const { states, events, crm, simulator } = result;
  expect(FINAL_LEAD_STATES.reduce((n, s) => n + states[s], 0)).toBe(CONTACTS);
  const started = events.filter((e) => e.type === 'attempt.started').map((e) => e.attemptId);
  const finished = events.filter((e) => e.type === 'attempt.finished');
  // Exactly once: every started attempt finished, none twice.
  expect(new Set(started).size).toBe(started.length);
  expect(finished.map((e) => e.attemptId).sort()).toEqual([...started].sort());
  // The writeback wrote one CRM record per call the carrier placed, and none for a dial that never went out.
  const placedIds = finished.filter((f) => f.placed !== false).map((f) => f.attemptId);
  const records = crm.allCalls().map((c) => c.attemptId);
  expect(records.length).toBe(placedIds.length);
  expect(new Set(records)).toEqual(new Set(placedIds));
  // The mix the carrier drew, and what the engine recorded, both follow the configured weights (wide bounds;
  // the seed fixes the draw, the bounds keep the assertion about the mix, not about one sequence).
  // An attempt whose dial never went out (its time to dial passed first, e.g. on a loaded machine) is closed
  // with `placed: false` and requeued: it is not a call, so it is not in the carrier's count nor the mix.
  const calls = finished.filter((f) => f.placed !== false);
  const dials = simulator.dials;
  expect(dials).toBe(calls.length);
  for (const [outcome, disposition] of Object.entries(DISPOSITION_OF)) {
    const weight = MIX[outcome as keyof typeof MIX];
    expect(Math.abs(simulator.byOutcome[outcome as keyof typeof MIX] / dials - weight)).toBeLessThan(0.1);
    const recorded = calls.filter((f) => f.disposition === disposition).length;
    // Named, so a failure says which outcome drifted.
    expect({ [disposition]: Math.abs(recorded / calls.length - weight) < 0.1 }).toEqual({
      [disposition]: true,
    });
  }
  // Reached contacts are the ones a person answered; nobody was dialed past the retry policy.
  expect(states.reached).toBe(finished.filter((f) => f.disposition === 'LEFT_LIVE_MESSAGE').length);
  const perContact = new Map<string, number>();
  for (const f of calls) perContact.set(f.contactId, (perContact.get(f.contactId) ?? 0) + 1);
  expect(Math.max(...perContact.values())).toBeLessThanOrEqual(3);
}

describe('simulated campaign end to end', () => {
  it('in-process store', async () => {
    assertCampaign(await runCampaign({}));
  }, 120_000);

  it('Redis store (own key prefix, deleted afterwards)', async () => {
    const prefix = `test-e2e-${randomBytes(4).toString('hex')}`;
    try {
      assertCampaign(await runCampaign({ REDIS_URL, REDIS_KEY_PREFIX: prefix }));
    } finally {
      const redis = await connectTestRedis();
      await deleteByPrefix(redis, prefix);
      await redis.close();
    }
  }, 120_000);
});
