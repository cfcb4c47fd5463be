/**
 * Account defaults (time zone, calling windows, no-call dates), caller IDs, the teams allowed to run campaigns,
 * and whether Twilio and HubSpot are connected. Only managers may save; the backend decides and says why not.
 */
import React from 'react';
import { Button, Flex, Heading } from '@hubspot/ui-extensions';
import type { AccountSettings, AccountStatus } from '../../lib/types';
import { useApiGet } from '../../lib/useApi';
import { LoadError, Loading } from '../../lib/ui';
import { ConnectionStatus } from './ConnectionStatus';
import { AccountSettingsForm, type TeamOption } from './AccountSettingsForm';

export function AccountSettingsPage({ userTeams }: { userTeams: TeamOption[] }) {
  const settings = useApiGet<{ settings: AccountSettings }>('/account/settings');
  const status = useApiGet<AccountStatus>('/account/status');
  return (
    <Flex direction="column" gap="md">
      <Heading>Connections</Heading>
      {status.state === 'loading' && <Loading label="Checking the connections" />}
      {status.state === 'error' && (
        <LoadError
          title="The connection status could not load"
          error={status.error}
          testId="status-load-error"
        />
      )}
      {status.state === 'ready' && <ConnectionStatus status={status.data} />}
      <Heading>Dialing defaults</Heading>
      {settings.state === 'loading' && <Loading label="Loading the account settings" />}
      {settings.state === 'error' && (
        <>
          <LoadError
            title="The account settings could not load"
            error={settings.error}
            testId="settings-load-error"
          />
          <Button onClick={settings.reload} testId="retry">
            Try again
          </Button>
        </>
      )}
      {settings.state === 'ready' && (
        <AccountSettingsForm initial={settings.data.settings} userTeams={userTeams} />
      )}
    </Flex>
  );
}
