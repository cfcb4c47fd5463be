/**
 * The campaign manager's list and create/edit form, rendered through the page router with a fake backend
 * behind `hubspot.fetch`: loading, empty, errors in words, the requests sent, and field-level messages.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import React from 'react';
import {
  Button,
  EmptyState,
  ErrorState,
  Input,
  LoadingSpinner,
  NumberInput,
  Select,
  StatusTag,
  TableCell,
  Text,
  TextArea,
} from '@hubspot/ui-extensions';
import { PageLink } from '@hubspot/ui-extensions/pages';
import { Alert as ErrorAlert } from '@hubspot/ui-extensions';
import { CampaignRouter } from '../../hubspot/app/pages/router';
import { apiError, fakeBackend, json } from './fake-backend';
import { campaign, summary } from './campaign-fixtures';
import { change, renderCard, textOf, unmountAll } from './render';

afterEach(() => {
  unmountAll();
  jest.restoreAllMocks();
});

function openPage(path: string) {
  return renderCard('pages', <CampaignRouter />, (r) => r.mocks.setPageLocation({ path, params: {} }));
}

const done = (r: ReturnType<typeof openPage>) =>
  r.waitFor(() => expect(r.maybeFind(LoadingSpinner)).toBeNull());

describe('campaign list', () => {
  it('shows seed 001 columns: name, answered / not answered / total calls, status, updated', async () => {
    fakeBackend({
      'GET /campaigns': json({
        campaigns: [
          summary(),
          summary({ id: 'c2', name: 'Winback', status: 'draft', answered: 0, notAnswered: 0, total: 0 }),
        ],
      }),
    });
    const r = openPage('/');
    expect(r.find(LoadingSpinner).props.label).toBe('Loading campaigns');
    await done(r);
    const cells = r.findAll(TableCell).map((c) => textOf(c).trim());
    expect(cells.slice(0, 7)).toEqual([
      'Spring renewals',
      '1,240',
      '60',
      '1,300',
      'Processing',
      '2026-12-04 09:30 UTC',
      'Edit',
    ]);
    expect(cells[11]).toBe('New');
    expect(r.findAll(StatusTag).map((t) => t.props.variant)).toEqual(['success', 'default']);
    expect(r.find(PageLink).props).toMatchObject({
      to: '/campaigns/:campaignId',
      params: { campaignId: 'c1' },
    });
  });

  it('has an empty state and an "Add campaign" button that opens the form', async () => {
    fakeBackend({ 'GET /campaigns': json({ campaigns: [] }) });
    const r = openPage('/');
    await done(r);
    expect(r.find(EmptyState).props.title).toBe('No campaigns yet');
    r.findByTestId(Button, 'add-campaign').trigger('onClick');
    expect(r.mocks.actions.navigateToPage.calls).toEqual([[{ to: '/new' }]]);
  });

  it('shows a backend error in words and retries', async () => {
    const backend = fakeBackend({
      'GET /campaigns': apiError(403, 'Only super admins and campaign teams see campaigns.'),
    });
    const r = openPage('/');
    await r.waitFor(() => expect(r.maybeFind(ErrorState)).not.toBeNull());
    expect(r.findByTestId(Text, 'load-error').text).toBe(
      'Only super admins and campaign teams see campaigns.',
    );
    backend.route('GET /campaigns', json({ campaigns: [summary()] }));
    r.findByTestId(Button, 'retry').trigger('onClick');
    await r.waitFor(() => expect(r.maybeFind(ErrorState)).toBeNull());
  });

  it('falls back to a sentence for an error without a body', async () => {
    fakeBackend({ 'GET /campaigns': { status: 502 } });
    const r = openPage('/');
    await r.waitFor(() => expect(r.maybeFind(ErrorState)).not.toBeNull());
    expect(r.findByTestId(Text, 'load-error').text).toBe(
      'The Autodial server failed (HTTP 502); try again in a minute.',
    );
  });

  it('routes an unknown path to a not-found page', () => {
    fakeBackend();
    const r = openPage('/nope');
    expect(r.find(PageLink).props.to).toBe('/');
  });
});

describe('campaign form', () => {
  const fill = (r: ReturnType<typeof openPage>, name: string, value: unknown) => {
    const node =
      r.maybeFind(Input, { name }) ??
      r.maybeFind(TextArea, { name }) ??
      r.maybeFind(NumberInput, { name }) ??
      r.find(Select, { name });
    change(node, value);
  };

  it('checks required fields before sending anything', async () => {
    const backend = fakeBackend();
    const r = openPage('/new');
    fill(r, 'callerIds', '+1555 not-a-number');
    await r.waitFor(() =>
      expect(r.find(TextArea, { name: 'callerIds' }).props.value).toBe('+1555 not-a-number'),
    );
    r.findByTestId(Button, 'save-campaign').trigger('onClick');
    await r.waitFor(() =>
      expect(r.find(Input, { name: 'name' }).props.validationMessage).toBe('A campaign needs a name.'),
    );
    expect(r.find(TextArea, { name: 'callerIds' }).props.validationMessage).toBe(
      '+1555 is not a phone number in E.164 form (+15551234567).',
    );
    expect(r.find(Input, { name: 'connectTo' }).props.validationMessage).toBe(
      'Dial mode progressive needs somewhere to connect answered calls.',
    );
    expect(backend.requests).toHaveLength(0);
  });

  it('creates a campaign with every setting and opens it', async () => {
    const backend = fakeBackend({ 'POST /campaigns': json({ campaign: campaign({ id: 'c9' }) }, 201) });
    const r = openPage('/new');
    fill(r, 'name', 'Reminders');
    fill(r, 'callerIds', '+12125550111\n+13055550122');
    fill(r, 'connectType', 'hunt-group');
    fill(r, 'connectTo', '+12125550100, +12125550101');
    fill(r, 'dialMode', 'power');
    await r.waitFor(() => expect(r.maybeFind(NumberInput, { name: 'linesPerAgent' })).not.toBeNull());
    fill(r, 'linesPerAgent', 4);
    fill(r, 'callsPerSecond', 2.5);
    fill(r, 'retryStrategy', 'intervals');
    await r.waitFor(() => expect(r.maybeFind(TextArea, { name: 'retryDelays' })).not.toBeNull());
    fill(r, 'retryDelays', '30, 120');
    fill(r, 'maxAttempts', 6);
    fill(r, 'noCallDates', '2026-12-25 Christmas Day');
    fill(r, 'startAt', '2026-12-07T09:00:00-05:00');
    await r.waitFor(() =>
      expect(r.find(Input, { name: 'startAt' }).props.value).toBe('2026-12-07T09:00:00-05:00'),
    );
    r.findByTestId(Button, 'save-campaign').trigger('onClick');
    await r.waitFor(() => expect(r.mocks.actions.navigateToPage.called).toBe(true));
    expect(backend.writes()).toHaveLength(1);
    expect(backend.writes()[0]).toMatchObject({
      method: 'POST',
      path: '/campaigns',
      body: {
        name: 'Reminders',
        callerIds: ['+12125550111', '+13055550122'],
        connectTo: { type: 'hunt-group', numbers: ['+12125550100', '+12125550101'] },
        dialMode: { mode: 'power', linesPerAgent: 4 },
        pace: { callsPerSecond: 2.5, maxConcurrentCalls: 10 },
        retry: {
          strategy: 'intervals',
          delaysMinutes: [30, 120],
          maxAttempts: 6,
          maxRetryDays: 7,
          minGapMinutes: 30,
        },
        noCallDates: [{ date: '2026-12-25', label: 'Christmas Day' }],
        startAt: '2026-12-07T09:00:00-05:00',
        ringTimeoutSec: 25,
      },
    });
    expect(r.mocks.actions.navigateToPage.calls).toEqual([
      [{ to: '/campaigns/:campaignId', params: { campaignId: 'c9' } }],
    ]);
  });

  it("puts the backend's field messages next to the fields", async () => {
    fakeBackend({
      'POST /campaigns': apiError(400, 'The campaign settings are not valid.', [
        { path: 'pace.callsPerSecond', message: 'Too big: expected number to be <=100' },
        { path: 'connectTo.number', message: 'expected a phone number in E.164 form (+15551234567)' },
      ]),
    });
    const r = openPage('/new');
    fill(r, 'name', 'Reminders');
    fill(r, 'callerIds', '+12125550111');
    fill(r, 'connectTo', '+1212');
    await r.waitFor(() => expect(r.find(Input, { name: 'connectTo' }).props.value).toBe('+1212'));
    r.findByTestId(Button, 'save-campaign').trigger('onClick');
    await r.waitFor(() =>
      expect(r.find(NumberInput, { name: 'callsPerSecond' }).props.validationMessage).toBe(
        'Too big: expected number to be <=100',
      ),
    );
    expect(r.find(NumberInput, { name: 'callsPerSecond' }).props.error).toBe(true);
    expect(r.find(Input, { name: 'connectTo' }).props.validationMessage).toBe(
      'expected a phone number in E.164 form (+15551234567)',
    );
    expect(textOf(r.findByTestId(ErrorAlert, 'action-error'))).toContain(
      'The campaign settings are not valid.',
    );
  });

  it('edits with the version read, and shows a conflict in words', async () => {
    const backend = fakeBackend({
      'GET /campaigns/c1': json({ campaign: campaign({ status: 'paused' }) }),
      'PATCH /campaigns/c1': apiError(
        409,
        'Someone else changed this campaign; reload to see their changes.',
      ),
    });
    const r = openPage('/campaigns/c1/edit');
    await done(r);
    expect(r.find(Input, { name: 'name' }).props.value).toBe('Spring renewals');
    expect(r.find(NumberInput, { name: 'linesPerAgent' }).props.value).toBe(3);
    expect(r.find(Select, { name: 'retryIntensity' }).props.value).toBe('aggressive');
    fill(r, 'description', 'Renewals, second wave');
    await r.waitFor(() =>
      expect(r.find(TextArea, { name: 'description' }).props.value).toBe('Renewals, second wave'),
    );
    r.findByTestId(Button, 'save-campaign').trigger('onClick');
    await r.waitFor(() =>
      expect(textOf(r.findByTestId(ErrorAlert, 'action-error'))).toContain(
        'Someone else changed this campaign',
      ),
    );
    const patch = backend.writes()[0];
    expect(patch).toMatchObject({ method: 'PATCH', path: '/campaigns/c1', body: { version: 3 } });
    expect((patch?.body as { settings: Record<string, unknown> }).settings).toMatchObject({
      name: 'Spring renewals',
      description: 'Renewals, second wave',
      connectTo: { type: 'number', number: '+12125550100' },
      callerIds: ['+12125550111', '+13055550122'],
      callerIdStrategy: 'local-presence',
      pace: { callsPerSecond: 2, maxConcurrentCalls: 20 },
      dialMode: { mode: 'power', linesPerAgent: 3 },
      retry: {
        strategy: 'smart',
        intensity: 'aggressive',
        maxAttempts: 10,
        maxRetryDays: 5,
        minGapMinutes: 60,
      },
      ringTimeoutSec: 30,
    });
    expect(r.mocks.actions.navigateToPage.called).toBe(false);
  });
});
