import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import type { EngineEvent, LeadState } from '../../src/engine/events.js';
import {
  abandonmentRate,
  applyEvent,
  compareEventIds,
  emptySnapshot,
  foldEvents,
  measuredPace,
  monitorCoreScript,
  type MonitorSnapshot,
} from '../../src/http/monitor/snapshot.js';

const P = 'portal-1';
const C = 'camp-1';

type Action =
  | { kind: 'start'; pick: number }
  | { kind: 'answer'; pick: number }
  | { kind: 'finish'; pick: number; next: 'retrying' | 'reached' | 'failed' | 'dnc'; abandoned: boolean }
  | { kind: 'remove'; pick: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('start' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('answer' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('finish' as const),
    pick: fc.nat(),
    next: fc.constantFrom('retrying' as const, 'reached' as const, 'failed' as const, 'dnc' as const),
    abandoned: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
);

/** Turns random actions into a valid event stream and the true lead states (the oracle). */
function simulate(contacts: number, actions: Action[]) {
  const states = new Map<string, LeadState | 'live'>();
  const attempts = new Map<string, number>();
  const active = new Map<string, string>(); // attemptId -> contactId
  const events: EngineEvent[] = [];
  let at = 1_000_000;
  let n = 0;
  const ids = Array.from({ length: contacts }, (_, i) => `k${i}`);
  for (const id of ids) states.set(id, 'queued');
  events.push({
    type: 'enrollment',
    portalId: P,
    campaignId: C,
    at,
    enrolled: contacts,
    skipped: { DNC: 2 },
  });
  const pick = <T>(list: T[], i: number) => (list.length ? list[i % list.length] : undefined);
  for (const a of actions) {
    at += 700;
    const stamp = { id: `${++n + 1}-0`, portalId: P, campaignId: C, at };
    if (a.kind === 'start') {
      const contactId = pick(
        ids.filter((id) => states.get(id) === 'queued' || states.get(id) === 'retrying'),
        a.pick,
      );
      if (!contactId) continue;
      const attempt = (attempts.get(contactId) ?? 0) + 1;
      attempts.set(contactId, attempt);
      const attemptId = `${contactId}-a${attempt}`;
      active.set(attemptId, contactId);
      states.set(contactId, 'dialing');
      events.push({
        ...stamp,
        type: 'attempt.started',
        attemptId,
        contactId,
        to: '+1305•••••23',
        from: '+1305•••••00',
        attempt,
        dueAt: at - 10,
      });
    } else if (a.kind === 'answer') {
      const attemptId = pick([...active.keys()], a.pick);
      if (!attemptId) continue;
      states.set(active.get(attemptId)!, 'live');
      events.push({
        ...stamp,
        type: 'attempt.status',
        attemptId,
        contactId: active.get(attemptId)!,
        status: 'in-progress',
      });
    } else if (a.kind === 'finish') {
      const attemptId = pick([...active.keys()], a.pick);
      if (!attemptId) continue;
      const contactId = active.get(attemptId)!;
      active.delete(attemptId);
      states.set(contactId, a.next);
      events.push({
        ...stamp,
        type: 'attempt.finished',
        attemptId,
        contactId,
        to: 'x',
        from: 'y',
        startedAt: at - 500,
        durationSec: 5,
        disposition: a.abandoned ? 'LEFT_LIVE_MESSAGE' : a.next === 'reached' ? 'CONNECTED' : 'NO_ANSWER',
        category: a.abandoned ? 'ABANDONED' : undefined,
        outcomeLabel: a.abandoned ? 'Answered, no agent free (safe-harbor message)' : 'whatever',
        nextState: a.next,
      });
    } else {
      const contactId = pick(
        ids.filter((id) => states.get(id) === 'queued' || states.get(id) === 'retrying'),
        a.pick,
      );
      if (!contactId) continue;
      states.set(contactId, 'removed');
      events.push({ ...stamp, type: 'lead.removed', contactId, reason: 'UNENROLLED' });
    }
  }
  events[0] = { ...events[0]!, id: '1-0' } as EngineEvent;
  const count = (s: string) => [...states.values()].filter((v) => v === s).length;
  const expected = {
    queued: count('queued'),
    dialing: count('dialing'),
    live: count('live'),
    reached: count('reached'),
    retrying: count('retrying'),
    failed: count('failed'),
    dnc: count('dnc'),
    removed: count('removed'),
    skipped: 2,
  };
  return { events, expected };
}

describe('applyEvent', () => {
  it('counters always equal the true lead states, and redelivered events change nothing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(actionArb, { maxLength: 80 }),
        fc.nat(),
        (k, actions, dup) => {
          const { events, expected } = simulate(k, actions);
          const snap = foldEvents(emptySnapshot(P), events);
          const counters = snap.campaigns[C]!.counters;
          expect(counters).toEqual(expected);
          expect(Object.values(counters).every((v) => v >= 0)).toBe(true);
          // At-least-once delivery: replaying any already-applied event is a no-op.
          const again = applyEvent(snap, events[dup % events.length]!);
          expect(again).toBe(snap);
        },
      ),
    );
  });

  it('does not modify its input', () => {
    const { events } = simulate(3, [
      { kind: 'start', pick: 0 },
      { kind: 'finish', pick: 0, next: 'retrying', abandoned: false },
    ]);
    const before = foldEvents(emptySnapshot(P), events.slice(0, 2));
    const frozen = JSON.stringify(before);
    applyEvent(before, events[2]!);
    expect(JSON.stringify(before)).toBe(frozen);
  });

  it('tracks timeline buckets, outcomes, abandonment and measured pace', () => {
    const { events } = simulate(5, [
      { kind: 'start', pick: 0 },
      { kind: 'start', pick: 0 },
      { kind: 'answer', pick: 0 },
      { kind: 'finish', pick: 0, next: 'reached', abandoned: false },
      { kind: 'finish', pick: 0, next: 'failed', abandoned: true },
    ]);
    const snap = foldEvents(emptySnapshot(P, { bucketMs: 1000, paceWindowMs: 10_000 }), events);
    const c = snap.campaigns[C]!;
    expect(c.attempts).toBe(2);
    expect(c.outcomes).toEqual({ CONNECTED: 1, LEFT_LIVE_MESSAGE: 1 });
    expect(c.timeline.reduce((s, b) => s + b.attempts, 0)).toBe(2);
    expect(abandonmentRate(c)).toBe(0.5);
    expect(measuredPace(c, snap.at, 10_000)).toBeCloseTo(0.2);
    expect(c.activeCalls).toEqual({});
  });

  it('the page gets the same functions as plain JS', () => {
    const { events } = simulate(6, [
      { kind: 'start', pick: 1 },
      { kind: 'start', pick: 2 },
      { kind: 'answer', pick: 1 },
      { kind: 'finish', pick: 0, next: 'retrying', abandoned: false },
      { kind: 'remove', pick: 3 },
      { kind: 'start', pick: 0 },
    ]);
    const browser = new Function(`${monitorCoreScript()}; return { applyEvent, emptySnapshot };`)() as {
      applyEvent: typeof applyEvent;
      emptySnapshot: typeof emptySnapshot;
    };
    let fromScript: MonitorSnapshot = browser.emptySnapshot(P);
    for (const e of events) fromScript = browser.applyEvent(fromScript, e);
    expect(fromScript).toEqual(foldEvents(emptySnapshot(P), events));
  });
});

describe('compareEventIds', () => {
  it('orders Redis stream ids numerically', () => {
    expect(compareEventIds('9-0', '10-0')).toBe(-1);
    expect(compareEventIds('10-2', '10-10')).toBe(-1);
    expect(compareEventIds('10-1', '10-1')).toBe(0);
    expect(compareEventIds('1700000000000-0', '999-5')).toBe(1);
  });
});
