/** Twilio and HubSpot connection status as the backend reports it. */
import React from 'react';
import { Flex, StatusTag, Text } from '@hubspot/ui-extensions';
import type { AccountStatus } from '../../lib/types';

export function ConnectionStatus({ status }: { status: AccountStatus }) {
  return (
    <Flex direction="column" gap="xs">
      <Flex direction="row" gap="sm" align="center">
        <Text>Twilio</Text>
        <StatusTag variant={status.twilio.connected ? 'success' : 'danger'} testId="twilio-status">
          {status.twilio.connected ? 'Connected' : 'Not connected'}
        </StatusTag>
        {status.twilio.detail && <Text variant="microcopy">{status.twilio.detail}</Text>}
      </Flex>
      <Flex direction="row" gap="sm" align="center">
        <Text>HubSpot</Text>
        <StatusTag variant={status.hubspot.connected ? 'success' : 'danger'} testId="hubspot-status">
          {status.hubspot.connected ? 'Connected' : 'Not connected'}
        </StatusTag>
        {status.hubspot.scopes && status.hubspot.scopes.length > 0 && (
          <Text variant="microcopy">{`Scopes: ${status.hubspot.scopes.join(', ')}`}</Text>
        )}
      </Flex>
    </Flex>
  );
}
