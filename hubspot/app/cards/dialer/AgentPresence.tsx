/** The rep's own availability for campaign calls (progressive, power and predictive modes dial for available reps). */
import React, { useEffect, useState } from 'react';
import { Flex, Select, Text } from '@hubspot/ui-extensions';
import { apiRequest, toApiError, type ApiError } from '../../lib/api';
import { useApiGet } from '../../lib/useApi';
import { ActionError } from '../../lib/ui';

type PresenceStatus = 'available' | 'away' | 'offline';
interface Agent {
  userId: string;
  status: PresenceStatus;
  campaignIds: string[];
}

const OPTIONS: { value: PresenceStatus; label: string }[] = [
  { value: 'available', label: 'Available for campaign calls' },
  { value: 'away', label: 'Away' },
  { value: 'offline', label: 'Offline' },
];

export function AgentPresence() {
  const loaded = useApiGet<{ agent: Agent }>('/agents/me');
  const [status, setStatus] = useState<PresenceStatus | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  const fetched = loaded.state === 'ready' ? loaded.data.agent.status : null;
  useEffect(() => setStatus(fetched), [fetched]);

  if (loaded.state === 'loading') return <Text variant="microcopy">Loading your status…</Text>;
  if (loaded.state === 'error') return <ActionError error={loaded.error} testId="presence-error" />;

  const change = async (next: PresenceStatus) => {
    const previous = status;
    setStatus(next);
    setSaving(true);
    setError(null);
    try {
      const { agent } = await apiRequest<{ agent: Agent }>('/agents/me', 'PUT', { status: next });
      setStatus(agent.status);
    } catch (e) {
      // The backend did not take it: show the status it still has, and why.
      setStatus(previous);
      setError(toApiError(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Flex direction="column" gap="xs">
      <Select
        label="Your status"
        name="agentStatus"
        readOnly={saving}
        options={OPTIONS}
        value={status ?? undefined}
        onChange={(v) => void change(v as PresenceStatus)}
      />
      <ActionError error={error} testId="presence-error" />
    </Flex>
  );
}
