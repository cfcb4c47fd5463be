/**
 * The dialer card (record tab and sidebar) rendered with ui-extensions' test renderer against a fake backend
 * behind `hubspot.fetch`: loading, empty, errors in words, each button's request and the wrap-up form's checks.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import React from 'react';
import {
  Alert,
  Button,
  Checkbox,
  EmptyState,
  ErrorState,
  LoadingSpinner,
  Select,
  StatusTag,
  Table,
  Text,
  TextArea,
  Toggle,
} from '@hubspot/ui-extensions';
import { Dialer } from '../../hubspot/app/cards/dialer/Dialer';
import type { DialerView } from '../../hubspot/app/lib/types';
import { API_BASE } from '../../hubspot/app/lib/config';
import { apiError, fakeBackend, json } from './fake-backend';
import { change, renderCard, textOf, unmountAll } from './render';

const view = (over: Partial<DialerView> = {}): DialerView => ({
  contact: { id: '42', name: 'Ada Lovelace' },
  numbers: [
    {
      field: 'phone',
      raw: '(212) 555-0101',
      e164: '+12125550101',
      valid: true,
      zone: 'America/New_York',
      localTime: '10:15',
      callableNow: true,
    },
    {
      field: 'mobilephone',
      raw: '+1 305 555 0199',
      e164: '+13055550199',
      valid: true,
      zone: 'America/New_York',
      localTime: '20:30',
      callableNow: false,
      nextAt: 1_800_000_000_000,
      nextAtLocal: '09:12',
      why: 'Florida allows calls only until 20:00',
    },
    {
      field: 'fax',
      raw: '12',
      e164: null,
      valid: false,
      invalidReason: 'too short',
      zone: 'UTC',
      localTime: '15:15',
      callableNow: false,
    },
  ],
  enrollments: [
    {
      campaignId: 'c1',
      campaignName: 'Spring renewals',
      state: 'retrying',
      nextAttemptAt: 1_800_000_000_000,
      attempts: 2,
    },
  ],
  history: [
    {
      attemptId: 'a0',
      at: 1_790_000_000_000,
      outcome: 'no_answer',
      disposition: 'No answer',
      durationSec: 0,
    },
  ],
  activeCall: null,
  ...over,
});

const DIALER = 'GET /contacts/42/dialer';
const agent = (status: string) => json({ agent: { userId: '7', status, campaignIds: [] } });
/** The card also loads the rep's own presence; every test answers it unless it says otherwise. */
const dialerBackend = (routes: Parameters<typeof fakeBackend>[0] = {}) =>
  fakeBackend({ 'GET /agents/me': agent('away'), ...routes });

afterEach(() => {
  unmountAll();
  jest.restoreAllMocks();
});

function renderDialer(compact = false) {
  return renderCard(
    compact ? 'crm.record.sidebar' : 'crm.record.tab',
    <Dialer contactId="42" compact={compact} pollMs={20} />,
  );
}

describe('dialer card', () => {
  it('shows a spinner while loading, then the numbers with when each can be called', async () => {
    const backend = dialerBackend({ [DIALER]: json(view()) });
    const r = renderDialer();
    expect(r.find(LoadingSpinner).props.label).toBe('Loading the dialer');
    await r.waitFor(() => expect(r.maybeFind(LoadingSpinner)).toBeNull());
    expect(backend.requests[0]).toMatchObject({ method: 'GET', url: `${API_BASE}/contacts/42/dialer` });
    expect(r.findByTestId(StatusTag, 'callable-phone').text).toBe('Callable now');
    expect(r.findByTestId(StatusTag, 'callable-mobilephone').text).toBe(
      'Next at 09:12 (their time) because Florida allows calls only until 20:00',
    );
    expect(r.findByTestId(StatusTag, 'callable-fax').text).toBe('Cannot be called: too short');
    expect(r.findByTestId(Button, 'call-phone').props.disabled).toBe(false);
    expect(r.findByTestId(Button, 'call-mobilephone').props.disabled).toBe(true);
    expect(r.findByTestId(Button, 'call-fax').props.disabled).toBe(true);
    expect(r.findAll(Table)).toHaveLength(2);
  });

  it('says so when the contact has no number, no campaign and no history', async () => {
    dialerBackend({ [DIALER]: json(view({ numbers: [], enrollments: [], history: [] })) });
    const r = renderDialer();
    await r.waitFor(() => expect(r.maybeFind(EmptyState)).not.toBeNull());
    expect(r.find(EmptyState).props.title).toBe('No phone number');
    expect(r.findByTestId(Text, 'no-enrollments').text).toContain('not in any campaign');
    expect(r.findByTestId(Text, 'no-history').text).toBe('No calls yet.');
  });

  it("shows the backend's error sentence and retries on demand", async () => {
    const backend = dialerBackend({ [DIALER]: apiError(403, 'Your HubSpot user cannot see this contact.') });
    const r = renderDialer();
    await r.waitFor(() => expect(r.maybeFind(ErrorState)).not.toBeNull());
    expect(r.findByTestId(Text, 'load-error').text).toBe('Your HubSpot user cannot see this contact.');
    backend.route(DIALER, json(view()));
    r.findByTestId(Button, 'retry').trigger('onClick');
    await r.waitFor(() => expect(r.maybeFind(ErrorState)).toBeNull());
    expect(backend.requests.filter((q) => q.path === '/contacts/42/dialer')).toHaveLength(2);
  });

  it('names an unreachable server rather than failing silently', async () => {
    const backend = dialerBackend();
    backend.failNetwork('socket hang up');
    const r = renderDialer();
    await r.waitFor(() => expect(r.maybeFind(ErrorState)).not.toBeNull());
    expect(r.findByTestId(Text, 'load-error').text).toBe(
      'Could not reach the Autodial server: socket hang up',
    );
  });

  it('calls, polls the live status, then saves the wrap-up with disposition, notes, DNC and wrong number', async () => {
    let polls = 0;
    const backend = dialerBackend({
      [DIALER]: json(view()),
      'POST /contacts/42/calls': json({ attemptId: 'a1' }, 202),
      'GET /calls/a1': () => {
        polls += 1;
        const status = polls < 2 ? 'ringing-rep' : polls < 3 ? 'in-progress' : 'completed';
        return json({
          attemptId: 'a1',
          contactId: '42',
          status,
          ...(status === 'completed' ? { outcome: 'answered', durationSec: 65 } : {}),
        });
      },
      'GET /dispositions': json({
        dispositions: [
          { id: 'd-connected', label: 'Connected' },
          { id: 'd-busy', label: 'Busy' },
        ],
      }),
      'POST /calls/a1/wrap-up': { status: 204 },
    });
    const r = renderDialer();
    await r.waitFor(() => expect(r.maybeFind(LoadingSpinner)).toBeNull());
    r.findByTestId(Button, 'call-phone').trigger('onClick');
    await r.waitFor(() => expect(r.findByTestId(StatusTag, 'call-status').text).toBe('Completed'));
    expect(backend.writes()[0]).toEqual({
      method: 'POST',
      url: `${API_BASE}/contacts/42/calls`,
      path: '/contacts/42/calls',
      body: { number: '+12125550101' },
    });
    expect(polls).toBeGreaterThanOrEqual(3);
    // While the call runs, no second call can start.
    expect(r.findByTestId(Button, 'call-phone').props.disabled).toBe(true);

    await r.waitFor(() => expect(r.maybeFind(Select, { name: 'disposition' })).not.toBeNull());
    expect(r.find(Select, { name: 'disposition' }).props.options).toEqual([
      { label: 'Connected', value: 'd-connected' },
      { label: 'Busy', value: 'd-busy' },
    ]);
    change(r.find(Select, { name: 'disposition' }), 'd-connected');
    change(r.find(TextArea), 'Wants a demo');
    change(r.find(Toggle), true);
    change(r.find(Checkbox), true);
    await r.waitFor(() => expect(r.find(Toggle).props.checked).toBe(true));
    r.findByTestId(Button, 'save-wrap-up').trigger('onClick');
    await r.waitFor(() => expect(r.maybeFind(Select, { name: 'disposition' })).toBeNull());
    expect(backend.writes()[1]).toMatchObject({
      method: 'POST',
      path: '/calls/a1/wrap-up',
      body: { disposition: 'd-connected', notes: 'Wants a demo', doNotCall: true, wrongNumber: true },
    });
    // Saving reloads the contact's view (its history now holds the call).
    await r.waitFor(() =>
      expect(backend.requests.filter((q) => q.path === '/contacts/42/dialer')).toHaveLength(2),
    );
  });

  it('asks for a disposition before sending, and shows the backend field messages next to the fields', async () => {
    const backend = dialerBackend({
      [DIALER]: json(view({ activeCall: { attemptId: 'a2', status: 'completed' } })),
      'GET /calls/a2': json({ attemptId: 'a2', contactId: '42', status: 'completed', outcome: 'answered' }),
      'GET /dispositions': json({ dispositions: [{ id: 'd1', label: 'Connected' }] }),
      'POST /calls/a2/wrap-up': apiError(400, 'The wrap-up is not valid.', [
        { path: 'notes', message: 'notes are limited to 5000 characters' },
      ]),
    });
    const r = renderDialer();
    await r.waitFor(() => expect(r.maybeFind(Select, { name: 'disposition' })).not.toBeNull());
    r.findByTestId(Button, 'save-wrap-up').trigger('onClick');
    await r.waitFor(() =>
      expect(r.find(Select, { name: 'disposition' }).props.validationMessage).toBe(
        'Choose how the call went.',
      ),
    );
    expect(backend.writes()).toHaveLength(0);

    change(r.find(Select, { name: 'disposition' }), 'd1');
    await r.waitFor(() =>
      expect(r.find(Select, { name: 'disposition' }).props.validationMessage).toBeUndefined(),
    );
    r.findByTestId(Button, 'save-wrap-up').trigger('onClick');
    await r.waitFor(() =>
      expect(r.find(TextArea).props.validationMessage).toBe('notes are limited to 5000 characters'),
    );
    expect(r.find(TextArea).props.error).toBe(true);
  });

  it('shows why a blocked call was not placed', async () => {
    dialerBackend({
      [DIALER]: json(view()),
      'POST /contacts/42/calls': json({ attemptId: 'a3' }, 202),
      'GET /calls/a3': json({
        attemptId: 'a3',
        contactId: '42',
        status: 'blocked',
        blockedReason: 'The number is on the Do-Not-Call list.',
      }),
    });
    const r = renderDialer();
    await r.waitFor(() => expect(r.maybeFind(LoadingSpinner)).toBeNull());
    r.findByTestId(Button, 'call-phone').trigger('onClick');
    await r.waitFor(() => expect(r.findByTestId(StatusTag, 'call-status').text).toBe('Blocked'));
    expect(r.findByTestId(Alert, 'call-blocked').text).toContain('The number is on the Do-Not-Call list.');
    expect(r.maybeFind(Select, { name: 'disposition' })).toBeNull();
  });

  it('shows a refused call in words and lets the rep try again', async () => {
    dialerBackend({
      [DIALER]: json(view()),
      'POST /contacts/42/calls': apiError(409, 'A call to this number is already live.'),
    });
    const r = renderDialer();
    await r.waitFor(() => expect(r.maybeFind(LoadingSpinner)).toBeNull());
    r.findByTestId(Button, 'call-phone').trigger('onClick');
    await r.waitFor(() =>
      expect(textOf(r.findByTestId(Alert, 'action-error'))).toContain(
        'A call to this number is already live.',
      ),
    );
    expect(r.findByTestId(Button, 'call-phone').props.disabled).toBe(false);
  });

  it('"call now" and "remove" send their requests for the enrollment', async () => {
    const backend = dialerBackend({
      [DIALER]: json(view()),
      'POST /campaigns/c1/contacts/42/call-now': json({ attemptId: 'a4' }, 202),
      'GET /calls/a4': json({ attemptId: 'a4', contactId: '42', status: 'ringing' }),
      'DELETE /campaigns/c1/contacts/42': { status: 204 },
    });
    const r = renderDialer();
    await r.waitFor(() => expect(r.maybeFind(LoadingSpinner)).toBeNull());
    r.findByTestId(Button, 'remove-c1').trigger('onClick');
    await r.waitFor(() =>
      expect(backend.requests.filter((q) => q.path === '/contacts/42/dialer')).toHaveLength(2),
    );
    expect(backend.writes()[0]).toMatchObject({
      method: 'DELETE',
      url: `${API_BASE}/campaigns/c1/contacts/42`,
    });

    r.findByTestId(Button, 'call-now-c1').trigger('onClick');
    await r.waitFor(() => expect(r.findByTestId(StatusTag, 'call-status').text).toBe('Ringing the contact'));
    expect(backend.writes()[1]).toMatchObject({ method: 'POST', path: '/campaigns/c1/contacts/42/call-now' });
    expect(r.findByTestId(Button, 'call-now-c1').props.disabled).toBe(true);
  });

  it('the compact sidebar variant shows numbers and counts, without the tables', async () => {
    dialerBackend({ [DIALER]: json(view()) });
    const r = renderDialer(true);
    await r.waitFor(() => expect(r.maybeFind(LoadingSpinner)).toBeNull());
    expect(r.findAll(Table)).toHaveLength(0);
    expect(r.findByTestId(Text, 'compact-summary').text).toBe('1 past attempts · 1 campaigns');
    expect(r.findByTestId(Button, 'call-phone').props.disabled).toBe(false);
  });

  it("shows the rep's presence and changes it with PUT /agents/me", async () => {
    const backend = dialerBackend({ [DIALER]: json(view()), 'PUT /agents/me': agent('available') });
    const r = renderDialer();
    await r.waitFor(() => expect(r.find(Select, { name: 'agentStatus' }).props.value).toBe('away'));
    change(r.find(Select, { name: 'agentStatus' }), 'available');
    await r.waitFor(() => expect(backend.writes()).toHaveLength(1));
    expect(backend.writes()[0]).toMatchObject({
      method: 'PUT',
      path: '/agents/me',
      body: { status: 'available' },
    });
    await r.waitFor(() => expect(r.find(Select, { name: 'agentStatus' }).props.value).toBe('available'));
  });

  it('keeps the old presence and says why when the backend refuses the change', async () => {
    dialerBackend({
      [DIALER]: json(view()),
      'PUT /agents/me': apiError(400, 'The status is not valid.', [
        { path: 'status', message: 'unknown status' },
      ]),
    });
    const r = renderDialer();
    await r.waitFor(() => expect(r.find(Select, { name: 'agentStatus' }).props.value).toBe('away'));
    change(r.find(Select, { name: 'agentStatus' }), 'available');
    await r.waitFor(() =>
      expect(textOf(r.findByTestId(Alert, 'presence-error'))).toContain('The status is not valid.'),
    );
    expect(r.find(Select, { name: 'agentStatus' }).props.value).toBe('away');
  });

  it('stops following a call the backend no longer knows, says why, and lets the rep close it', async () => {
    let polls = 0;
    dialerBackend({
      [DIALER]: json(view({ activeCall: { attemptId: 'gone', status: 'ringing' } })),
      'GET /calls/gone': () => {
        polls += 1;
        return apiError(404, 'No call gone in this portal.');
      },
    });
    const r = renderDialer();
    await r.waitFor(() => expect(r.maybeFindByTestId(Alert, 'poll-error')).not.toBeNull());
    expect(textOf(r.findByTestId(Alert, 'poll-error'))).toContain('No call gone in this portal.');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(polls).toBe(1);
    r.findByTestId(Button, 'dismiss-call').trigger('onClick');
    await r.waitFor(() => expect(r.maybeFindByTestId(StatusTag, 'call-status')).toBeNull());
  });
});
