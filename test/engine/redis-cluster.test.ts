/**
 * Redis Cluster proof: a local three-master cluster of its own, two portals whose hash tags land on different
 * masters, each running a campaign through the engine over node-redis's cluster client. Every Lua script runs
 * (a CROSSSLOT or MOVED error would fail the step that sent it), and every key of a portal lives on one master,
 * the two portals' on different ones.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { seededRandom } from '../../src/domain/random.js';
import { CampaignService } from '../../src/engine/campaigns.js';
import { Engine } from '../../src/engine/dialer.js';
import { RedisStore, deleteMatching } from '../../src/engine/store/redis-store.js';
import { connectRedis, isCluster } from '../../src/engine/store/redis/connection.js';
import type { RedisClusterClient } from '../../src/engine/store/redis/connection.js';
import { SCRIPT_NAMES } from '../../src/engine/store/redis/scripts.js';
import type { ScriptName } from '../../src/engine/store/redis/scripts.js';
import { encodeProgress } from '../../src/engine/store/codec.js';
import { startLocalCluster } from '../../src/cli/local-redis-cluster.js';
import type { LocalCluster } from '../../src/cli/local-redis-cluster.js';
import { ManualClock, RecordingTelephony } from './fixtures/harness.js';
import { MONDAY_2PM_NY, nyZones, quickRetryCampaign } from '../resilience/fixtures.js';
import { uniquePrefix } from './redis-helpers.js';

const prefix = uniquePrefix('cluster');
let cluster: LocalCluster;
let conn: RedisClusterClient;
let store: RedisStore;
const ran = new Set<ScriptName>();

/** The master serving a portal's hash tag `{p:<id>}`, as host:port. */
async function masterOf(portalId: string): Promise<string> {
  const node = await conn.nodeClient(conn.masters[0]!);
  const slot = await node.clusterKeySlot(`{p:${portalId}}`);
  const master = conn.slots[slot]!.master;
  return `${master.host}:${master.port}`;
}

beforeAll(async () => {
  cluster = await startLocalCluster(3);
  const c = await connectRedis({ clusterNodes: cluster.nodes }, () => {});
  if (!isCluster(c)) throw new Error('expected a cluster client');
  conn = c;
  store = new RedisStore({ redis: conn, keyPrefix: prefix, onConnectionError: () => {} });
  store.context.scripts.observer = (call) => ran.add(call.name);
}, 60_000);

afterAll(async () => {
  await store?.close();
  if (conn?.isOpen) await conn.close();
  await cluster?.stop();
});

async function runPortal(portalId: string) {
  const clock = new ManualClock(MONDAY_2PM_NY);
  const campaigns = new CampaignService({ store, clock, zones: nyZones, random: seededRandom(7) });
  const telephony = new RecordingTelephony(clock);
  const errors: unknown[] = [];
  const engine = new Engine({
    store,
    telephony,
    clock,
    campaigns,
    zones: nyZones,
    random: seededRandom(8),
    onError: (e) => errors.push(e),
  });
  const c = await campaigns.create(portalId, quickRetryCampaign(`Cluster ${portalId}`), 'op');
  await campaigns.enroll(
    portalId,
    c.campaignId,
    Array.from({ length: 6 }, (_, i) => ({
      contactId: `k${i}`,
      phone: `+1212555${String(4100 + i)}`,
      timeZone: 'America/New_York',
    })),
  );
  await campaigns.act(portalId, c.campaignId, 'start');
  const wakes: string[] = [];
  const unsubscribe = await store.onWake(portalId, (reason) => wakes.push(reason));
  await engine.pass(portalId);
  await new Promise((r) => setTimeout(r, 100));
  expect(telephony.dials.length).toBeGreaterThan(0);
  for (const dial of telephony.dials) {
    await engine.handleCallEvent({
      type: 'status',
      attemptId: dial.attemptId,
      providerCallId: telephony.callIdOf(dial.attemptId),
      status: 'completed',
      sequence: 3,
      durationSec: 5,
      at: clock.now(),
    });
  }
  // pub/sub through the cluster: a finish wakes the portal's listeners
  for (let i = 0; i < 50 && !wakes.length; i++) await new Promise((r) => setTimeout(r, 20));
  expect(wakes.length).toBeGreaterThan(0);
  await unsubscribe();
  // streams through the cluster, blocking read included (a duplicated cluster connection)
  await store.ensureGroup(portalId, 'g');
  expect((await store.readGroup(portalId, 'g', 'w', { count: 100, blockMs: 20 })).length).toBeGreaterThan(0);
  expect(errors).toEqual([]);
  return { campaignId: c.campaignId, clock };
}

/** The scripts the engine pass does not reach: a single claim, a preview dial request, wrap-ups, requeue. */
async function runRemainingScripts(portalId: string, campaignId: string, now: number) {
  const leads = await store.peekDue(portalId, campaignId, now + 86_400_000, 10);
  const [a, b] = leads;
  if (!a || !b) throw new Error('expected two queued leads');
  const claim = (lead: typeof a, attemptId: string) =>
    store.claim({
      portalId,
      campaignId,
      contactId: lead.contactId,
      expectRev: lead.rev,
      attemptId,
      from: '+12125550000',
      now: Math.max(now, lead.dueAt ?? now),
      leaseUntil: Math.max(now, lead.dueAt ?? now) + 60_000,
      maxLive: null,
      busyRetryMs: 1000,
      amd: false,
    });
  const first = await claim(a, `${portalId}-x1`);
  expect(first.ok).toBe(true);
  const at = first.ok ? first.attempt.claimedAt : now;
  expect(await store.requeueClaimed(portalId, `${portalId}-x1`, at + 1, at)).toBe(true);
  const second = await claim(b, `${portalId}-x2`);
  expect(second.ok).toBe(true);
  const t = second.ok ? second.attempt.claimedAt : now;
  expect((await store.markDialRequested(portalId, `${portalId}-x2`, t, t + 60_000, [])).ok).toBe(true);
  expect(await store.markDialed(portalId, `${portalId}-x2`, 'CA-x2')).toBe(true);
  expect(await store.saveProgress(portalId, `${portalId}-x2`, 0, '{}', t + 90_000, [])).toBe(true);
  expect(
    await store.wrapUpAttempt({ mode: 'pending', portalId, attemptId: `${portalId}-x2`, wrapUp: '{"n":1}' }),
  ).toBe('saved');
  const lead = (await store.getLead(portalId, campaignId, b.contactId))!;
  const done = { ...lead.progress, state: 'reached' as const, attempts: lead.progress.attempts + 1 };
  expect(
    await store.finishAttempt({
      portalId,
      attemptId: `${portalId}-x2`,
      now: t + 1000,
      lead: done,
      nextAt: null,
      events: [],
      summary: 'cluster',
      wrapUp: '{"n":1}',
    }),
  ).toBe('finished');
  const after = (await store.getLead(portalId, campaignId, b.contactId))!;
  expect(
    await store.updateLead(portalId, campaignId, b.contactId, after.rev, { ...done, state: 'failed' }, null),
  ).toBe(true);
  const requeued = (await store.getLead(portalId, campaignId, a.contactId))!;
  expect(await store.reschedule(portalId, campaignId, a.contactId, requeued.rev, at + 5000)).toBe(true);
  expect(encodeProgress(requeued.progress)).toBeDefined();
  const moved = (await store.getLead(portalId, campaignId, a.contactId))!;
  expect(await store.setLeadNumber(portalId, campaignId, a.contactId, '+12125559876', moved.zone)).toBe(
    'updated',
  );
  // agents: presence, an answered call reserved for the agent, its end and the wrap-up
  const agent = await store.setAgentPresence(
    portalId,
    'ag1',
    { state: 'available', campaigns: [{ campaignId, priority: 1 }] },
    at,
  );
  expect(agent.result).toBe('updated');
  const answer = await store.answerCall({
    portalId,
    campaignId,
    attemptId: `${portalId}-x3`,
    contactId: a.contactId,
    to: '+12125559876',
    now: at + 10,
    periodStart: at,
    abandonIfNone: true,
  });
  expect(answer).toBeDefined();
  await store.endAgentCall(portalId, `${portalId}-x3`, at + 20);
  await store.finishAgentWrapUp(portalId, 'ag1', `${portalId}-x3`, 'available', at + 30);
  await store.trimEvents(portalId);
}

describe('Redis Cluster: three masters, two portals on different masters', () => {
  it('runs every script (no CROSSSLOT) and keeps each portal on one master, the two on different ones', async () => {
    // Portal ids whose hash slots land on different masters (the slot map decides, so search for them).
    const first = '1001';
    const firstMaster = await masterOf(first);
    let second = '';
    for (let id = 1002; !second; id++) if ((await masterOf(String(id))) !== firstMaster) second = String(id);
    const secondMaster = await masterOf(second);
    expect(secondMaster).not.toBe(firstMaster);

    for (const portalId of [first, second]) {
      const { campaignId, clock } = await runPortal(portalId);
      await runRemainingScripts(portalId, campaignId, clock.now());
    }
    expect([...ran].sort()).toEqual([...SCRIPT_NAMES].sort());

    // Where each portal's keys are: count them on every master.
    const keysOn = new Map<string, Map<string, number>>();
    for (const master of conn.masters) {
      const node = await conn.nodeClient(master);
      const counts = new Map<string, number>();
      for (const portalId of [first, second]) {
        let n = 0;
        for await (const keys of node.scanIterator({ MATCH: `${prefix}:{p:${portalId}}:*`, COUNT: 1000 }))
          n += keys.length;
        counts.set(portalId, n);
      }
      keysOn.set(`${master.host}:${master.port}`, counts);
    }
    for (const [portalId, master] of [
      [first, firstMaster],
      [second, secondMaster],
    ] as const) {
      for (const [where, counts] of keysOn) {
        if (where === master) expect(counts.get(portalId)).toBeGreaterThan(5);
        else expect(counts.get(portalId)).toBe(0);
      }
    }
    await deleteMatching(conn, `${prefix}:*`);
  }, 120_000);
});
