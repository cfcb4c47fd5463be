/**
 * A contact's dialer: numbers with validity, local time and when each can be called, click-to-call with live
 * status, the wrap-up form, attempt history and campaign enrollments. `compact` is the sidebar variant.
 */
import React, { useCallback, useEffect, useState } from 'react';
import { Button, Divider, EmptyState, Flex, Heading, Text } from '@hubspot/ui-extensions';
import { apiRequest, toApiError, type ApiError } from '../../lib/api';
import { CALL_POLL_MS } from '../../lib/config';
import type { DialerView } from '../../lib/types';
import { useApiGet } from '../../lib/useApi';
import { ActionError, LoadError, Loading } from '../../lib/ui';
import { NumbersList } from './NumbersList';
import { CallTracker } from './CallTracker';
import { Enrollments, History } from './ContactActivity';
import { AgentPresence } from './AgentPresence';

export interface DialerProps {
  contactId: string;
  compact?: boolean;
  /** Poll interval for a running call; tests shorten it. */
  pollMs?: number;
}

export function Dialer({ contactId, compact = false, pollMs = CALL_POLL_MS }: DialerProps) {
  const base = `/contacts/${encodeURIComponent(contactId)}`;
  const view = useApiGet<DialerView>(`${base}/dialer`);
  const [attemptId, setAttemptId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<ApiError | null>(null);

  // A call already running when the card opens is tracked like one started here.
  const activeFromView = view.state === 'ready' ? (view.data.activeCall?.attemptId ?? null) : null;
  useEffect(() => {
    if (activeFromView) setAttemptId((current) => current ?? activeFromView);
  }, [activeFromView]);

  const run = useCallback(async (request: () => Promise<{ attemptId: string } | null>) => {
    setBusy(true);
    setActionError(null);
    try {
      const started = await request();
      if (started?.attemptId) setAttemptId(started.attemptId);
      return true;
    } catch (error) {
      setActionError(toApiError(error));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);

  const { reload } = view;
  const call = (number: string) =>
    void run(() => apiRequest<{ attemptId: string }>(`${base}/calls`, 'POST', { number }));
  const callNow = (campaignId: string) =>
    void run(() =>
      apiRequest<{ attemptId: string }>(
        `/campaigns/${encodeURIComponent(campaignId)}/contacts/${encodeURIComponent(contactId)}/call-now`,
        'POST',
      ),
    );
  const remove = (campaignId: string) =>
    void run(() =>
      apiRequest<null>(
        `/campaigns/${encodeURIComponent(campaignId)}/contacts/${encodeURIComponent(contactId)}`,
        'DELETE',
      ),
    ).then((ok) => ok && reload());
  const finishCall = () => {
    setAttemptId(null);
    reload();
  };

  if (view.state === 'loading') return <Loading label="Loading the dialer" />;
  if (view.state === 'error') {
    return (
      <Flex direction="column" gap="sm">
        <LoadError title="The dialer could not load" error={view.error} />
        <Button onClick={reload} testId="retry">
          Try again
        </Button>
      </Flex>
    );
  }

  const { contact, numbers, enrollments, history } = view.data;
  return (
    <Flex direction="column" gap="md">
      {!compact && <Heading>{`Call ${contact.name}`}</Heading>}
      {!compact && <AgentPresence />}
      <ActionError error={actionError} />
      {numbers.length === 0 ? (
        <EmptyState title="No phone number" layout="vertical" imageName="callingSetUp">
          <Text>This contact has no phone number to call. Add one to the contact's phone properties.</Text>
        </EmptyState>
      ) : (
        <NumbersList numbers={numbers} canCall={!busy && attemptId === null} onCall={call} />
      )}
      {attemptId && <CallTracker attemptId={attemptId} pollMs={pollMs} onDone={finishCall} />}
      {compact ? (
        <Text
          variant="microcopy"
          testId="compact-summary"
        >{`${history.length} past attempts · ${enrollments.length} campaigns`}</Text>
      ) : (
        <>
          <Divider />
          <Enrollments
            enrollments={enrollments}
            disabled={busy || attemptId !== null}
            onCallNow={callNow}
            onRemove={remove}
          />
          <Divider />
          <History history={history} />
        </>
      )}
    </Flex>
  );
}
