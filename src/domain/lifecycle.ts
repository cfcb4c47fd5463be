/** Campaign lifecycle: the statuses users know from the seeds and the one function that moves between them. */

export const CAMPAIGN_STATUSES = [
  'draft',
  'scheduled',
  'active',
  'paused',
  'completed',
  'overdue',
  'canceled',
  'archived',
] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const CAMPAIGN_ACTIONS = [
  'schedule',
  'start',
  'pause',
  'resume',
  'stop',
  'cancel',
  'complete',
  'mark-overdue',
  'restart',
  'archive',
  'edit',
] as const;
export type CampaignAction = (typeof CAMPAIGN_ACTIONS)[number];

export interface LifecycleContext {
  /** The campaign has a contact list (or another contact source) attached. */
  hasContactSource: boolean;
  /** The campaign's planned start, epoch ms. */
  startAt?: number;
  now: number;
}

export type TransitionResult = { ok: true; to: CampaignStatus } | { ok: false; error: string };

/** Conditions a legal move must also meet. */
export type TransitionGuard = 'needs-contact-source' | 'needs-future-start' | 'needs-past-start';

export interface TransitionRule {
  /** The status after the move; 'same' keeps the current one (edit, re-schedule). */
  to: CampaignStatus | 'same';
  guards: readonly TransitionGuard[];
}

const go = (to: CampaignStatus | 'same', ...guards: TransitionGuard[]): TransitionRule => ({ to, guards });

/**
 * Every legal move; anything absent is illegal. Stop ends a running campaign early and keeps its results
 * (completed); cancel abandons it (canceled). Both finished statuses can be restarted, which dials again.
 * Archive is a soft delete and final; an active campaign must be paused or stopped before archiving.
 */
export const TRANSITIONS: Readonly<Record<CampaignStatus, Partial<Record<CampaignAction, TransitionRule>>>> =
  {
    draft: {
      schedule: go('scheduled', 'needs-contact-source', 'needs-future-start'),
      start: go('active', 'needs-contact-source'),
      edit: go('same'),
      archive: go('archived'),
    },
    scheduled: {
      schedule: go('same', 'needs-contact-source', 'needs-future-start'),
      start: go('active', 'needs-contact-source'),
      'mark-overdue': go('overdue', 'needs-past-start'),
      cancel: go('canceled'),
      edit: go('same'),
      archive: go('archived'),
    },
    active: {
      pause: go('paused'),
      stop: go('completed'),
      cancel: go('canceled'),
      complete: go('completed'),
    },
    paused: {
      resume: go('active', 'needs-contact-source'),
      stop: go('completed'),
      cancel: go('canceled'),
      complete: go('completed'),
      edit: go('same'),
      archive: go('archived'),
    },
    overdue: {
      start: go('active', 'needs-contact-source'),
      schedule: go('scheduled', 'needs-contact-source', 'needs-future-start'),
      cancel: go('canceled'),
      edit: go('same'),
      archive: go('archived'),
    },
    completed: {
      restart: go('active', 'needs-contact-source'),
      edit: go('same'),
      archive: go('archived'),
    },
    canceled: {
      restart: go('active', 'needs-contact-source'),
      edit: go('same'),
      archive: go('archived'),
    },
    archived: {},
  };

/** Why an illegal move is illegal, where a generic message would not help the user. */
const ILLEGAL_HINTS: Partial<Record<CampaignStatus, Partial<Record<CampaignAction, string>>>> = {
  active: {
    edit: 'pause the campaign before editing its settings',
    archive: 'pause or stop the campaign before archiving it: it is dialing',
    start: 'the campaign is already running',
    resume: 'the campaign is already running',
  },
  paused: {
    start: 'a paused campaign is resumed, not started',
    pause: 'the campaign is already paused',
  },
  draft: {
    pause: 'the campaign has not started',
    cancel: 'a draft has not started: archive it to delete it',
    stop: 'the campaign has not started',
  },
  completed: { start: 'a finished campaign is restarted, not started' },
  canceled: { start: 'a finished campaign is restarted, not started' },
  scheduled: { pause: 'the campaign has not started: cancel it or edit its start time' },
};

function guardError(guard: TransitionGuard, action: CampaignAction, ctx: LifecycleContext): string | null {
  switch (guard) {
    case 'needs-contact-source':
      return ctx.hasContactSource
        ? null
        : `a campaign needs a contact list before it can ${action === 'schedule' ? 'be scheduled' : action}`;
    case 'needs-future-start':
      if (ctx.startAt === undefined) return 'scheduling needs a start time';
      return ctx.startAt > ctx.now ? null : 'the start time must be in the future';
    case 'needs-past-start':
      return ctx.startAt !== undefined && ctx.startAt <= ctx.now ? null : 'the start time has not passed yet';
  }
}

/** Moves a campaign by one action, or says why it cannot. */
export function transition(
  from: CampaignStatus,
  action: CampaignAction,
  ctx: LifecycleContext,
): TransitionResult {
  if (from === 'archived') {
    return { ok: false, error: `cannot ${action} an archived campaign: archiving is final` };
  }
  const rule = TRANSITIONS[from][action];
  if (!rule) {
    const hint = ILLEGAL_HINTS[from]?.[action];
    return { ok: false, error: `cannot ${action} a ${from} campaign${hint ? `: ${hint}` : ''}` };
  }
  for (const guard of rule.guards) {
    const error = guardError(guard, action, ctx);
    if (error !== null) return { ok: false, error };
  }
  return { ok: true, to: rule.to === 'same' ? from : rule.to };
}

/** Settings can change only while the campaign is not dialing (pause first) and not archived. */
export function isEditable(status: CampaignStatus): boolean {
  return TRANSITIONS[status].edit !== undefined;
}

/** Only an active campaign dials. */
export function isDialing(status: CampaignStatus): boolean {
  return status === 'active';
}
