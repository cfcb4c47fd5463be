/** Small shared pieces so every card shows loading and errors the same way. */
import React from 'react';
import { Alert, ErrorState, Flex, LoadingSpinner, Text } from '@hubspot/ui-extensions';
import type { ApiError } from './api';

export function Loading({ label }: { label: string }) {
  return <LoadingSpinner label={label} layout="centered" />;
}

/** A failed load: the backend's sentence, and the per-field issues when there are any. */
export function LoadError({
  error,
  title,
  testId = 'load-error',
}: {
  error: ApiError;
  title: string;
  testId?: string;
}) {
  return (
    <ErrorState title={title}>
      <Text testId={testId}>{error.message}</Text>
    </ErrorState>
  );
}

/** A failed action: shown above the form or the buttons, never swallowed. */
export function ActionError({ error, testId = 'action-error' }: { error: ApiError | null; testId?: string }) {
  if (!error) return null;
  return (
    <Alert title="Autodial could not do that" variant="error" testId={testId}>
      <Flex direction="column" gap="xs">
        <Text>{error.message}</Text>
        {error.details.map((d) => (
          <Text key={`${d.path}:${d.message}`}>{`${d.path}: ${d.message}`}</Text>
        ))}
      </Flex>
    </Alert>
  );
}
