/** The settings page: connection status, account defaults form, its request and its field messages. */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import React from 'react';
import {
  Alert,
  Button,
  ErrorState,
  Input,
  LoadingSpinner,
  MultiSelect,
  StatusTag,
  Text,
  TextArea,
  Toggle,
} from '@hubspot/ui-extensions';
import { AccountSettingsPage } from '../../hubspot/app/settings/parts/AccountSettingsPage';
import type { AccountSettings } from '../../hubspot/app/lib/types';
import { apiError, fakeBackend, json } from './fake-backend';
import { change, renderCard, textOf, unmountAll } from './render';

afterEach(() => {
  unmountAll();
  jest.restoreAllMocks();
});

const day = (enabled: boolean, start = '09:00', end = '18:00') => ({ enabled, start, end });
const settings: AccountSettings = {
  timeZone: 'America/New_York',
  windows: {
    monday: day(true),
    tuesday: day(true),
    wednesday: day(true),
    thursday: day(true),
    friday: day(true),
    saturday: day(true, '10:00', '14:00'),
    sunday: day(false),
  },
  noCallDates: [{ date: '2026-12-25', label: 'Christmas Day' }],
  callerIds: ['+12125550111'],
  campaignTeams: ['9'],
};
const status = { twilio: { connected: true }, hubspot: { connected: false } };

function open() {
  return renderCard('settings', <AccountSettingsPage userTeams={[{ id: '5', name: 'Inside sales' }]} />);
}
const ready = (r: ReturnType<typeof open>) => r.waitFor(() => expect(r.maybeFind(LoadingSpinner)).toBeNull());

describe('settings page', () => {
  it('shows loading, then the connections and the current defaults', async () => {
    fakeBackend({ 'GET /account/settings': json({ settings }), 'GET /account/status': json(status) });
    const r = open();
    expect(r.findAll(LoadingSpinner).map((s) => s.props.label)).toEqual([
      'Checking the connections',
      'Loading the account settings',
    ]);
    await ready(r);
    expect(r.findByTestId(StatusTag, 'twilio-status').text).toBe('Connected');
    expect(r.findByTestId(StatusTag, 'hubspot-status').text).toBe('Not connected');
    expect(r.find(Input, { name: 'timeZone' }).props.value).toBe('America/New_York');
    expect(r.find(TextArea, { name: 'noCallDates' }).props.value).toBe('2026-12-25 Christmas Day');
    expect(r.find(Toggle, { name: 'windows.sunday.enabled' }).props.checked).toBe(false);
    expect(r.find(MultiSelect).props.options).toEqual([
      { value: '5', label: 'Inside sales' },
      { value: '9', label: 'Team 9' },
    ]);
  });

  it('saves every default with PUT and confirms', async () => {
    const backend = fakeBackend({
      'GET /account/settings': json({ settings }),
      'GET /account/status': json(status),
      'PUT /account/settings': json({ settings }),
    });
    const r = open();
    await ready(r);
    change(r.find(Toggle, { name: 'windows.sunday.enabled' }), true);
    change(r.find(TextArea, { name: 'callerIds' }), '+12125550111\n+13055550122');
    change(r.find(MultiSelect), ['9', '5']);
    await r.waitFor(() => expect(r.find(MultiSelect).props.value).toEqual(['9', '5']));
    r.findByTestId(Button, 'save-settings').trigger('onClick');
    await r.waitFor(() => expect(r.maybeFindByTestId(Alert, 'saved')).not.toBeNull());
    expect(backend.writes()).toEqual([
      expect.objectContaining({
        method: 'PUT',
        path: '/account/settings',
        body: {
          timeZone: 'America/New_York',
          windows: { ...settings.windows, sunday: day(true) },
          noCallDates: [{ date: '2026-12-25', label: 'Christmas Day' }],
          callerIds: ['+12125550111', '+13055550122'],
          campaignTeams: ['9', '5'],
        },
      }),
    ]);
  });

  it('checks caller IDs first, then shows backend messages and a role refusal in words', async () => {
    const backend = fakeBackend({
      'GET /account/settings': json({ settings }),
      'GET /account/status': json(status),
      'PUT /account/settings': apiError(400, 'The account settings are not valid.', [
        { path: 'windows.monday.end', message: 'window start must be before its end' },
        { path: 'timeZone', message: 'expected an IANA time zone such as America/New_York' },
      ]),
    });
    const r = open();
    await ready(r);
    change(r.find(TextArea, { name: 'callerIds' }), '555-0100');
    await r.waitFor(() => expect(r.find(TextArea, { name: 'callerIds' }).props.value).toBe('555-0100'));
    r.findByTestId(Button, 'save-settings').trigger('onClick');
    await r.waitFor(() =>
      expect(r.find(TextArea, { name: 'callerIds' }).props.validationMessage).toBe(
        '555-0100 is not a phone number in E.164 form (+15551234567).',
      ),
    );
    expect(backend.writes()).toHaveLength(0);

    change(r.find(TextArea, { name: 'callerIds' }), '+12125550111');
    change(r.find(Input, { name: 'timeZone' }), 'Mars/Base');
    await r.waitFor(() => expect(r.find(Input, { name: 'timeZone' }).props.value).toBe('Mars/Base'));
    r.findByTestId(Button, 'save-settings').trigger('onClick');
    await r.waitFor(() =>
      expect(r.find(Input, { name: 'windows.monday.end' }).props.validationMessage).toBe(
        'window start must be before its end',
      ),
    );
    expect(r.find(Input, { name: 'timeZone' }).props.validationMessage).toBe(
      'expected an IANA time zone such as America/New_York',
    );

    backend.route(
      'PUT /account/settings',
      apiError(403, 'Only super admins and campaign teams can change account defaults.'),
    );
    r.findByTestId(Button, 'save-settings').trigger('onClick');
    await r.waitFor(() =>
      expect(textOf(r.findByTestId(Alert, 'action-error'))).toContain(
        'Only super admins and campaign teams can change',
      ),
    );
  });

  it('shows load errors in words for both panels', async () => {
    fakeBackend({
      'GET /account/settings': apiError(401, 'The request signature is not valid.'),
      'GET /account/status': { status: 500 },
    });
    const r = open();
    await r.waitFor(() => expect(r.findAll(ErrorState)).toHaveLength(2));
    expect(r.findByTestId(Text, 'status-load-error').text).toBe(
      'The Autodial server failed (HTTP 500); try again in a minute.',
    );
    expect(r.findByTestId(Text, 'settings-load-error').text).toBe('The request signature is not valid.');
  });
});
