import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import {
  CAMPAIGN_ACTIONS,
  CAMPAIGN_STATUSES,
  TRANSITIONS,
  isDialing,
  isEditable,
  transition,
} from '../../src/domain/lifecycle.js';
import type { CampaignAction, CampaignStatus, LifecycleContext } from '../../src/domain/lifecycle.js';

const NOW = Date.UTC(2025, 5, 2, 14);
const HOUR = 3_600_000;
/** A context in which every guard passes except needs-past-start (start is in the future). */
const ready: LifecycleContext = { hasContactSource: true, startAt: NOW + HOUR, now: NOW };
const startPassed: LifecycleContext = { hasContactSource: true, startAt: NOW - HOUR, now: NOW };

/**
 * The whole matrix, written out independently of TRANSITIONS: the target status of every legal move (with a
 * context that satisfies its guards), or '-' for an illegal one.
 */
const S = 'same';
const MATRIX: Record<CampaignStatus, Record<CampaignAction, CampaignStatus | typeof S | '-'>> = {
  draft: {
    schedule: 'scheduled',
    start: 'active',
    pause: '-',
    resume: '-',
    stop: '-',
    cancel: '-',
    complete: '-',
    'mark-overdue': '-',
    restart: '-',
    archive: 'archived',
    edit: S,
  },
  scheduled: {
    schedule: S,
    start: 'active',
    pause: '-',
    resume: '-',
    stop: '-',
    cancel: 'canceled',
    complete: '-',
    'mark-overdue': 'overdue',
    restart: '-',
    archive: 'archived',
    edit: S,
  },
  active: {
    schedule: '-',
    start: '-',
    pause: 'paused',
    resume: '-',
    stop: 'completed',
    cancel: 'canceled',
    complete: 'completed',
    'mark-overdue': '-',
    restart: '-',
    archive: '-',
    edit: '-',
  },
  paused: {
    schedule: '-',
    start: '-',
    pause: '-',
    resume: 'active',
    stop: 'completed',
    cancel: 'canceled',
    complete: 'completed',
    'mark-overdue': '-',
    restart: '-',
    archive: 'archived',
    edit: S,
  },
  overdue: {
    schedule: 'scheduled',
    start: 'active',
    pause: '-',
    resume: '-',
    stop: '-',
    cancel: 'canceled',
    complete: '-',
    'mark-overdue': '-',
    restart: '-',
    archive: 'archived',
    edit: S,
  },
  completed: {
    schedule: '-',
    start: '-',
    pause: '-',
    resume: '-',
    stop: '-',
    cancel: '-',
    complete: '-',
    'mark-overdue': '-',
    restart: 'active',
    archive: 'archived',
    edit: S,
  },
  canceled: {
    schedule: '-',
    start: '-',
    pause: '-',
    resume: '-',
    stop: '-',
    cancel: '-',
    complete: '-',
    'mark-overdue': '-',
    restart: 'active',
    archive: 'archived',
    edit: S,
  },
  archived: {
    schedule: '-',
    start: '-',
    pause: '-',
    resume: '-',
    stop: '-',
    cancel: '-',
    complete: '-',
    'mark-overdue': '-',
    restart: '-',
    archive: '-',
    edit: '-',
  },
};

const cells = CAMPAIGN_STATUSES.flatMap((from) => CAMPAIGN_ACTIONS.map((action) => [from, action] as const));

describe('transition: every status × action', () => {
  it.each(cells)('%s + %s', (from, action) => {
    const ctx = action === 'mark-overdue' ? startPassed : ready;
    const want = MATRIX[from][action];
    const got = transition(from, action, ctx);
    if (want === '-') {
      expect(got.ok).toBe(false);
      if (!got.ok) {
        expect(got.error).toMatch(new RegExp(`cannot ${action} a(n)? ${from} campaign`));
      }
    } else {
      expect(got).toEqual({ ok: true, to: want === S ? from : want });
    }
  });

  it('the exported table agrees with the matrix', () => {
    for (const [from, action] of cells) {
      expect(TRANSITIONS[from][action] !== undefined).toBe(MATRIX[from][action] !== '-');
    }
  });
});

describe('transition: guards and reasons', () => {
  it('start, resume, restart and schedule need a contact source', () => {
    const noList: LifecycleContext = { ...ready, hasContactSource: false };
    expect(transition('draft', 'start', noList)).toEqual({
      ok: false,
      error: 'a campaign needs a contact list before it can start',
    });
    expect(transition('draft', 'schedule', noList)).toEqual({
      ok: false,
      error: 'a campaign needs a contact list before it can be scheduled',
    });
    expect(transition('completed', 'restart', noList).ok).toBe(false);
    expect(transition('paused', 'resume', noList).ok).toBe(false);
    expect(transition('overdue', 'start', noList).ok).toBe(false);
  });

  it('schedule needs a start time in the future', () => {
    expect(transition('draft', 'schedule', { hasContactSource: true, now: NOW })).toEqual({
      ok: false,
      error: 'scheduling needs a start time',
    });
    expect(transition('draft', 'schedule', { ...ready, startAt: NOW })).toEqual({
      ok: false,
      error: 'the start time must be in the future',
    });
    expect(transition('overdue', 'schedule', startPassed).ok).toBe(false);
  });

  it('a scheduled campaign becomes overdue only once its start has passed', () => {
    expect(transition('scheduled', 'mark-overdue', ready)).toEqual({
      ok: false,
      error: 'the start time has not passed yet',
    });
    expect(transition('scheduled', 'mark-overdue', { hasContactSource: true, now: NOW }).ok).toBe(false);
    expect(transition('scheduled', 'mark-overdue', { ...startPassed, startAt: NOW })).toEqual({
      ok: true,
      to: 'overdue',
    });
  });

  it('says why for the common mistakes', () => {
    const error = (from: CampaignStatus, action: CampaignAction) => {
      const r = transition(from, action, ready);
      return r.ok ? '' : r.error;
    };
    expect(error('active', 'edit')).toMatch(/pause the campaign before editing/);
    expect(error('active', 'archive')).toMatch(/pause or stop/);
    expect(error('paused', 'start')).toMatch(/resumed/);
    expect(error('archived', 'restart')).toMatch(/archiving is final/);
    expect(error('draft', 'cancel')).toMatch(/archive it/);
  });
});

describe('isEditable / isDialing', () => {
  it.each(CAMPAIGN_STATUSES)('%s', (status) => {
    expect(isDialing(status)).toBe(status === 'active');
    expect(isEditable(status)).toBe(status !== 'active' && status !== 'archived');
    // edit is legal exactly where settings are editable, and never moves the campaign
    const edit = transition(status, 'edit', ready);
    expect(edit.ok).toBe(isEditable(status));
    if (edit.ok) expect(edit.to).toBe(status);
  });
});

describe('transition: properties', () => {
  const ctxArb: fc.Arbitrary<LifecycleContext> = fc.record(
    {
      hasContactSource: fc.boolean(),
      startAt: fc.integer({ min: NOW - 10 * HOUR, max: NOW + 10 * HOUR }),
      now: fc.constant(NOW),
    },
    { requiredKeys: ['hasContactSource', 'now'] },
  );
  const stepsArb = fc.array(fc.tuple(fc.constantFrom(...CAMPAIGN_ACTIONS), ctxArb), { maxLength: 60 });

  it('any sequence of actions stays inside CAMPAIGN_STATUSES, and archived is terminal', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CAMPAIGN_STATUSES), stepsArb, (start, steps) => {
        let status: CampaignStatus = start;
        for (const [action, ctx] of steps) {
          const r = transition(status, action, ctx);
          if (status === 'archived') expect(r.ok).toBe(false);
          if (r.ok) {
            expect(CAMPAIGN_STATUSES).toContain(r.to);
            status = r.to;
          } else {
            expect(r.error.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('only start, resume and restart make a campaign dial, and never without a contact source', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CAMPAIGN_STATUSES),
        fc.constantFrom(...CAMPAIGN_ACTIONS),
        ctxArb,
        (from, action, ctx) => {
          const r = transition(from, action, ctx);
          if (r.ok && r.to === 'active' && from !== 'active') {
            expect(['start', 'resume', 'restart']).toContain(action);
            expect(ctx.hasContactSource).toBe(true);
          }
        },
      ),
    );
  });
});
