/**
 * Only the actions the backend allows in the campaign's current status are shown (`allowedActions`), plus
 * scheduling and deleting a draft. A refused action (409) is shown in the backend's words.
 */
import React, { useState } from 'react';
import { Button, ButtonRow, Flex, Input } from '@hubspot/ui-extensions';
import { apiRequest, fieldMessages, toApiError, type ApiError } from '../../lib/api';
import { LIFECYCLE_ACTIONS, actionLabel } from '../../lib/format';
import type { Campaign } from '../../lib/types';
import { ActionError } from '../../lib/ui';

const DESTRUCTIVE = new Set(['stop', 'archive']);

export function LifecycleButtons(props: {
  campaign: Campaign;
  onChanged: (campaign: Campaign) => void;
  onDeleted: () => void;
}) {
  const { campaign } = props;
  const base = `/campaigns/${encodeURIComponent(campaign.id)}`;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [startAt, setStartAt] = useState('');
  const [startAtMessage, setStartAtMessage] = useState<string | undefined>();

  const act = async (request: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await request();
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(false);
    }
  };
  const lifecycle = (action: string) =>
    act(async () => {
      const { campaign: updated } = await apiRequest<{ campaign: Campaign }>(
        `${base}/actions/${action}`,
        'POST',
      );
      props.onChanged(updated);
    });
  const schedule = () => {
    // A local date-time ("2026-12-07T09:00") is read in the viewer's zone; the API takes epoch milliseconds.
    const at = Date.parse(startAt);
    if (!startAt.trim() || Number.isNaN(at)) {
      setStartAtMessage('Enter a date and time such as 2026-12-07T09:00.');
      return;
    }
    setStartAtMessage(undefined);
    void act(async () => {
      const { campaign: updated } = await apiRequest<{ campaign: Campaign }>(`${base}/schedule`, 'POST', {
        startAt: at,
      });
      props.onChanged(updated);
    });
  };
  const remove = () =>
    act(async () => {
      await apiRequest<null>(base, 'DELETE');
      props.onDeleted();
    });

  const allowed = LIFECYCLE_ACTIONS.filter((a) => campaign.allowedActions.includes(a));
  const scheduleMessage = startAtMessage ?? fieldMessages(error).startAt;
  return (
    <Flex direction="column" gap="sm">
      <ActionError error={error} testId="lifecycle-error" />
      <ButtonRow>
        {allowed.map((action) => (
          <Button
            key={action}
            testId={`action-${action}`}
            variant={
              action === allowed[0] && !DESTRUCTIVE.has(action)
                ? 'primary'
                : DESTRUCTIVE.has(action)
                  ? 'destructive'
                  : 'secondary'
            }
            disabled={busy}
            onClick={() => void lifecycle(action)}
          >
            {actionLabel(action)}
          </Button>
        ))}
        {campaign.status === 'draft' && (
          <Button testId="action-delete" variant="destructive" disabled={busy} onClick={() => void remove()}>
            Delete
          </Button>
        )}
      </ButtonRow>
      {campaign.allowedActions.includes('schedule') && (
        <Flex direction="row" gap="sm" align="end">
          <Input
            label="Start at (your time)"
            name="startAt"
            placeholder="2026-12-07T09:00"
            value={startAt}
            onChange={setStartAt}
            error={!!scheduleMessage}
            validationMessage={scheduleMessage}
          />
          <Button testId="action-schedule" disabled={busy} onClick={schedule}>
            Schedule
          </Button>
        </Flex>
      )}
    </Flex>
  );
}
