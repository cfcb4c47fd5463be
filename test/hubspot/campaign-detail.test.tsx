/**
 * The campaign detail page: lifecycle buttons per status, their requests, refusals in words, scheduling,
 * list enrollment, the compliance preview and the live view.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import React from 'react';
import {
  Alert,
  Button,
  ErrorState,
  Input,
  LoadingSpinner,
  StatisticsItem,
  StatusTag,
  Table,
  Text,
} from '@hubspot/ui-extensions';
import { PageLink } from '@hubspot/ui-extensions/pages';
import { CampaignRouter } from '../../hubspot/app/pages/router';
import type { CampaignStatus } from '../../hubspot/app/lib/types';
import { apiError, fakeBackend, json } from './fake-backend';
import { ALLOWED, campaign, liveStatus } from './campaign-fixtures';
import { change, renderCard, textOf, unmountAll } from './render';

afterEach(() => {
  unmountAll();
  jest.restoreAllMocks();
});

function openCampaign() {
  const r = renderCard('pages', <CampaignRouter />, (x) =>
    x.mocks.setPageLocation({ path: '/campaigns/c1', params: {} }),
  );
  return r;
}
const loaded = (r: ReturnType<typeof openCampaign>) =>
  r.waitFor(() => expect(r.maybeFindByTestId(StatusTag, 'campaign-status')).not.toBeNull());
const actionButtons = (r: ReturnType<typeof openCampaign>) =>
  r
    .findAll(Button)
    .map((b) => String(b.props.testId ?? ''))
    .filter((id) => id.startsWith('action-'));

describe('campaign detail', () => {
  const expected: Record<CampaignStatus, string[]> = {
    draft: ['action-start', 'action-archive', 'action-delete', 'action-schedule'],
    scheduled: ['action-start', 'action-archive', 'action-schedule'],
    active: ['action-pause', 'action-stop'],
    paused: ['action-resume', 'action-stop', 'action-archive'],
    overdue: ['action-start', 'action-archive', 'action-schedule'],
    completed: ['action-restart', 'action-archive'],
    canceled: ['action-restart', 'action-archive'],
    archived: [],
  };
  it.each(Object.keys(ALLOWED) as CampaignStatus[])(
    'shows only the lifecycle buttons allowed when %s',
    async (status) => {
      fakeBackend({
        'GET /campaigns/c1': json({ campaign: campaign({ status }) }),
        'GET /campaigns/c1/live': json(liveStatus({ status })),
      });
      const r = openCampaign();
      await loaded(r);
      expect(actionButtons(r)).toEqual(expected[status]);
      expect(r.maybeFind(PageLink, { to: '/campaigns/:campaignId/edit' }) !== null).toBe(
        ALLOWED[status].includes('edit'),
      );
    },
  );

  it('starts a campaign, then shows the new status and the buttons it allows', async () => {
    const backend = fakeBackend({
      'GET /campaigns/c1': json({ campaign: campaign({ status: 'draft' }) }),
      'POST /campaigns/c1/actions/start': json({ campaign: campaign({ status: 'active' }) }),
      'GET /campaigns/c1/live': json(liveStatus()),
    });
    const r = openCampaign();
    await loaded(r);
    r.findByTestId(Button, 'action-start').trigger('onClick');
    await r.waitFor(() => expect(r.findByTestId(StatusTag, 'campaign-status').text).toBe('Processing'));
    expect(backend.writes()).toEqual([
      expect.objectContaining({
        method: 'POST',
        url: 'https://autodial.example/api/v1/campaigns/c1/actions/start',
        body: undefined,
      }),
    ]);
    expect(actionButtons(r)).toEqual(['action-pause', 'action-stop']);
  });

  it.each(['pause', 'stop'])(
    'sends %s for an active campaign and shows a refusal in words',
    async (action) => {
      const backend = fakeBackend({
        'GET /campaigns/c1': json({ campaign: campaign({ status: 'active' }) }),
        'GET /campaigns/c1/live': json(liveStatus()),
        [`POST /campaigns/c1/actions/${action}`]: apiError(409, `The campaign cannot ${action} right now.`),
      });
      const r = openCampaign();
      await loaded(r);
      r.findByTestId(Button, `action-${action}`).trigger('onClick');
      await r.waitFor(() =>
        expect(textOf(r.findByTestId(Alert, 'lifecycle-error'))).toContain(
          `The campaign cannot ${action} right now.`,
        ),
      );
      expect(backend.writes()[0]).toMatchObject({ method: 'POST', path: `/campaigns/c1/actions/${action}` });
      expect(r.findByTestId(StatusTag, 'campaign-status').text).toBe('Processing');
    },
  );

  it('schedules with epoch milliseconds and checks the date first', async () => {
    const backend = fakeBackend({
      'GET /campaigns/c1': json({ campaign: campaign({ status: 'draft' }) }),
      'POST /campaigns/c1/schedule': json({ campaign: campaign({ status: 'scheduled' }) }),
    });
    const r = openCampaign();
    await loaded(r);
    r.findByTestId(Button, 'action-schedule').trigger('onClick');
    await r.waitFor(() =>
      expect(r.find(Input, { name: 'startAt' }).props.validationMessage).toBe(
        'Enter a date and time such as 2026-12-07T09:00.',
      ),
    );
    expect(backend.writes()).toHaveLength(0);
    change(r.find(Input, { name: 'startAt' }), '2026-12-07T09:00:00Z');
    await r.waitFor(() =>
      expect(r.find(Input, { name: 'startAt' }).props.value).toBe('2026-12-07T09:00:00Z'),
    );
    r.findByTestId(Button, 'action-schedule').trigger('onClick');
    await r.waitFor(() => expect(r.findByTestId(StatusTag, 'campaign-status').text).toBe('Scheduled'));
    expect(backend.writes()[0]).toMatchObject({
      path: '/campaigns/c1/schedule',
      body: { startAt: Date.UTC(2026, 11, 7, 9) },
    });
  });

  it('deletes a draft and returns to the list', async () => {
    const backend = fakeBackend({
      'GET /campaigns/c1': json({ campaign: campaign({ status: 'draft' }) }),
      'DELETE /campaigns/c1': { status: 204 },
    });
    const r = openCampaign();
    await loaded(r);
    r.findByTestId(Button, 'action-delete').trigger('onClick');
    await r.waitFor(() => expect(r.mocks.actions.navigateToPage.calls).toEqual([[{ to: '/' }]]));
    expect(backend.writes()[0]).toMatchObject({ method: 'DELETE', path: '/campaigns/c1' });
  });

  it('shows a missing campaign in words', async () => {
    fakeBackend({ 'GET /campaigns/c1': apiError(404, 'No campaign c1 in this portal.') });
    const r = openCampaign();
    expect(r.find(LoadingSpinner).props.label).toBe('Loading the campaign');
    await r.waitFor(() => expect(r.maybeFind(ErrorState)).not.toBeNull());
    expect(r.findByTestId(Text, 'load-error').text).toBe('No campaign c1 in this portal.');
  });

  it('enrolls a list and follows the job', async () => {
    const backend = fakeBackend({
      'GET /campaigns/c1': json({ campaign: campaign({ status: 'draft' }) }),
      'POST /campaigns/c1/enrollments': json(
        { job: { id: 'j1', status: 'running', processed: 0, enrolled: 0, skipped: 0 } },
        202,
      ),
      'GET /campaigns/c1/enrollments/j1': json({
        job: { id: 'j1', status: 'completed', processed: 1300, enrolled: 1290, skipped: 10, total: 1300 },
      }),
    });
    const r = openCampaign();
    await loaded(r);
    r.findByTestId(Button, 'enroll').trigger('onClick');
    await r.waitFor(() =>
      expect(r.find(Input, { name: 'listId' }).props.validationMessage).toBe(
        'Enter the ID of a HubSpot contact list.',
      ),
    );
    change(r.find(Input, { name: 'listId' }), '77');
    change(r.find(Input, { name: 'phoneFields' }), 'phone, mobilephone');
    await r.waitFor(() =>
      expect(r.find(Input, { name: 'phoneFields' }).props.value).toBe('phone, mobilephone'),
    );
    r.findByTestId(Button, 'enroll').trigger('onClick');
    await r.waitFor(() =>
      expect(r.findByTestId(Text, 'enroll-progress').text).toBe(
        'completed: 1290 enrolled, 10 skipped of 1300 processed',
      ),
    );
    expect(backend.writes()[0]).toMatchObject({
      method: 'POST',
      path: '/campaigns/c1/enrollments',
      body: { listId: '77', phoneFields: ['phone', 'mobilephone'] },
    });
  });

  it('shows an enrollment refusal next to the list field', async () => {
    fakeBackend({
      'GET /campaigns/c1': json({ campaign: campaign({ status: 'draft' }) }),
      'POST /campaigns/c1/enrollments': apiError(400, 'The enrollment is not valid.', [
        { path: 'listId', message: 'no list 77 in this portal' },
      ]),
    });
    const r = openCampaign();
    await loaded(r);
    change(r.find(Input, { name: 'listId' }), '77');
    await r.waitFor(() => expect(r.find(Input, { name: 'listId' }).props.value).toBe('77'));
    r.findByTestId(Button, 'enroll').trigger('onClick');
    await r.waitFor(() =>
      expect(r.find(Input, { name: 'listId' }).props.validationMessage).toBe('no list 77 in this portal'),
    );
  });

  it('runs the compliance preview and shows its summary, an empty list, and errors', async () => {
    const backend = fakeBackend({
      'GET /campaigns/c1': json({ campaign: campaign({ status: 'draft' }) }),
      'GET /campaigns/c1/compliance-preview': json({
        total: 1300,
        callable: 1240,
        invalid: 31,
        doNotCall: 22,
        noCallableTime: 7,
        atDailyCap: 3,
        duplicates: 0,
        summary: '1,240 of 1,300 contacts can be called; 31 invalid numbers, 22 Do-Not-Call',
      }),
    });
    const r = openCampaign();
    await loaded(r);
    r.findByTestId(Button, 'run-preview').trigger('onClick');
    await r.waitFor(() => expect(r.maybeFindByTestId(Text, 'preview-summary')).not.toBeNull());
    expect(r.findByTestId(Text, 'preview-summary').text).toContain('1,240 of 1,300 contacts can be called');
    expect(r.find(StatisticsItem, { label: 'Do-Not-Call' }).props.number).toBe(22);

    backend.route(
      'GET /campaigns/c1/compliance-preview',
      json({
        total: 0,
        callable: 0,
        invalid: 0,
        doNotCall: 0,
        noCallableTime: 0,
        atDailyCap: 0,
        duplicates: 0,
        summary: '',
      }),
    );
    r.findByTestId(Button, 'run-preview').trigger('onClick');
    await r.waitFor(() => expect(r.maybeFindByTestId(Text, 'preview-empty')).not.toBeNull());

    backend.route(
      'GET /campaigns/c1/compliance-preview',
      apiError(403, 'Only campaign managers can preview.'),
    );
    r.findByTestId(Button, 'run-preview').trigger('onClick');
    await r.waitFor(() =>
      expect(textOf(r.findByTestId(Alert, 'preview-error'))).toContain('Only campaign managers can preview.'),
    );
  });

  it('shows the live view of a running campaign', async () => {
    fakeBackend({
      'GET /campaigns/c1': json({ campaign: campaign({ status: 'active' }) }),
      'GET /campaigns/c1/live': json(liveStatus()),
    });
    const r = openCampaign();
    await loaded(r);
    await r.waitFor(() => expect(r.maybeFind(StatisticsItem, { label: 'Answer rate' })).not.toBeNull());
    const stat = (label: string) => r.find(StatisticsItem, { label }).props.number;
    expect(stat('Answer rate')).toBe('42.3%');
    expect(stat('Abandonment rate')).toBe('1.2%');
    expect(stat('Pace (calls/s, measured of configured)')).toBe('1.87 / 2');
    expect(stat('Time to finish')).toBe('about 1 h 20 min');
    expect(stat('Queued')).toBe(900);
    expect(stat('On a call')).toBe(2);
    expect(textOf(r.findByTestId(Table, 'active-calls'))).toContain('+1212•••0101');
  });

  it('keeps the live view up when it fails, with the reason shown', async () => {
    fakeBackend({
      'GET /campaigns/c1': json({ campaign: campaign({ status: 'paused' }) }),
      'GET /campaigns/c1/live': apiError(503, 'The engine is restarting; live figures are back in a moment.'),
    });
    const r = openCampaign();
    await loaded(r);
    await r.waitFor(() =>
      expect(textOf(r.findByTestId(Alert, 'live-error'))).toContain('The engine is restarting'),
    );
  });
});
