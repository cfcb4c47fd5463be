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

  const tick = useCallback(async () => {
    try {
      const state = await apiRequest<CallState>(`/calls/${encodeURIComponent(attemptId)}`);
      setCall(state);
      setPollError(null);
      return isCallFinished(state.status);
    } catch (error) {
      // Keep polling: a blip must not lose the call, but the rep sees that the status is stale.
      setPollError(toApiError(error));
      return false;
    }
  }, [attemptId]);
  const finished = call !== null && isCallFinished(call.status);
  usePolling(tick, pollMs, !finished);

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
      {call?.status === 'blocked' && (
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
