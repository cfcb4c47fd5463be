/** Follows one call by polling its status (cards cannot hold an event stream), then asks for the wrap-up. */
import React, { useCallback, useState } from 'react';
import { Alert, Button, Flex, StatusTag, Text } from '@hubspot/ui-extensions';
import { apiRequest, toApiError, type ApiError } from '../../lib/api';
import { callStatusLabel, formatDuration, isCallFinished } from '../../lib/format';
import type { CallState } from '../../lib/types';
import { usePolling } from '../../lib/useApi';
import { ActionError } from '../../lib/ui';
import { WrapUpForm } from './WrapUpForm';

export function CallTracker(props: { attemptId: string; pollMs: number; onDone: () => void }) {
  const { attemptId, pollMs, onDone } = props;
  const [call, setCall] = useState<CallState | null>(null);
  const [pollError, setPollError] = useState<ApiError | null>(null);
  // The backend does not know this call (or this user may not see it): polling again cannot help.
  const [lost, setLost] = useState(false);

  const tick = useCallback(async () => {
    try {
      const state = await apiRequest<CallState>(`/calls/${encodeURIComponent(attemptId)}`);
      setCall(state);
      setPollError(null);
      return isCallFinished(state.status);
    } catch (error) {
      // Keep polling through a blip (the rep sees that the status is stale), but not for a call that is gone.
      const apiError = toApiError(error);
      setPollError(apiError);
      const gone = apiError.status === 404 || apiError.status === 403;
      if (gone) setLost(true);
      return gone;
    }
  }, [attemptId]);
  const finished = call !== null && isCallFinished(call.status);
  usePolling(tick, pollMs, !finished && !lost);

  return (
    <Flex direction="column" gap="sm">
      <Flex direction="row" gap="sm" align="center">
        <Text format={{ fontWeight: 'bold' }}>Call</Text>
        <StatusTag variant={finished ? 'default' : 'info'} testId="call-status">
          {call ? callStatusLabel(call.status) : 'Starting…'}
        </StatusTag>
        {call?.durationSec !== undefined && (
          <Text variant="microcopy">{formatDuration(call.durationSec)}</Text>
        )}
      </Flex>
      <ActionError error={pollError} testId="poll-error" />
      {call?.status === 'blocked' && (
        <Alert title="The call was not placed" variant="warning" testId="call-blocked">
          {call.blockedReason ?? 'A calling rule stopped this call.'}
        </Alert>
      )}
      {(call?.status === 'blocked' || lost) && (
        <Button onClick={onDone} testId="dismiss-call">
          Close
        </Button>
      )}
      {finished && call?.status !== 'blocked' && (
        <WrapUpForm attemptId={attemptId} outcome={call?.outcome} onSaved={onDone} />
      )}
    </Flex>
  );
}
