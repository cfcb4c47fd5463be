/** The contact's numbers: validity, local time, and "callable now" or "next at ... because ...". */
import React from 'react';
import { Button, Flex, StatusTag, Text, Tile } from '@hubspot/ui-extensions';
import type { DialerNumber } from '../../lib/types';

/** "Callable now" or "Next at 09:12 (their time) because outside calling hours". */
export function callableText(n: DialerNumber): string {
  if (!n.valid) return `Cannot be called: ${n.invalidReason ?? 'not a valid phone number'}`;
  if (n.callableNow) return 'Callable now';
  const when = n.nextAtLocal
    ? `Next at ${n.nextAtLocal} (their time)`
    : 'No callable time in the coming days';
  return n.why ? `${when} because ${n.why}` : when;
}

export function NumbersList(props: {
  numbers: DialerNumber[];
  canCall: boolean;
  onCall: (number: string) => void;
}) {
  return (
    <Flex direction="column" gap="sm">
      {props.numbers.map((n) => (
        <Tile key={`${n.field}:${n.raw}`} compact>
          <Flex direction="row" justify="between" align="center" gap="sm">
            <Flex direction="column" gap="xs">
              <Text format={{ fontWeight: 'bold' }}>{`${n.e164 ?? n.raw} (${n.field})`}</Text>
              <Text variant="microcopy">{`${n.localTime} their time · ${n.zone}`}</Text>
              <StatusTag
                variant={!n.valid ? 'danger' : n.callableNow ? 'success' : 'warning'}
                testId={`callable-${n.field}`}
              >
                {callableText(n)}
              </StatusTag>
            </Flex>
            <Button
              variant="primary"
              testId={`call-${n.field}`}
              disabled={!props.canCall || !n.valid || !n.callableNow || !n.e164}
              onClick={() => {
                if (n.e164) props.onCall(n.e164);
              }}
            >
              Call
            </Button>
          </Flex>
        </Tile>
      ))}
    </Flex>
  );
}
