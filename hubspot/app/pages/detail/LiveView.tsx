/** The running campaign: active calls, counts per status, answer and abandonment rates, pace and time left. */
import React, { useCallback, useState } from 'react';
import {
  Flex,
  Heading,
  Statistics,
  StatisticsItem,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
  Text,
} from '@hubspot/ui-extensions';
import { apiRequest, toApiError, type ApiError } from '../../lib/api';
import { formatDateTime, formatEta, formatPercent } from '../../lib/format';
import type { LiveStatus } from '../../lib/types';
import { usePolling } from '../../lib/useApi';
import { ActionError, Loading } from '../../lib/ui';

const COUNT_LABELS: [keyof LiveStatus['counts'], string][] = [
  ['queued', 'Queued'],
  ['dialing', 'Dialing'],
  ['live', 'On a call'],
  ['reached', 'Reached'],
  ['retrying', 'Retrying'],
  ['failed', 'Failed'],
  ['skipped', 'Skipped'],
];

export function LiveView({ campaignId, pollMs }: { campaignId: string; pollMs: number }) {
  const [live, setLive] = useState<LiveStatus | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const tick = useCallback(async () => {
    try {
      setLive(await apiRequest<LiveStatus>(`/campaigns/${encodeURIComponent(campaignId)}/live`));
      setError(null);
    } catch (e) {
      // Keep refreshing: the monitor recovers by itself when the backend answers again.
      setError(toApiError(e));
    }
  }, [campaignId]);
  usePolling(tick, pollMs, true);

  return (
    <Flex direction="column" gap="sm">
      <Heading>Live</Heading>
      <ActionError error={error} testId="live-error" />
      {!live && !error && <Loading label="Loading the live view" />}
      {live && (
        <>
          <Statistics>
            <StatisticsItem label="Answer rate" number={formatPercent(live.answerRate)} />
            <StatisticsItem label="Abandonment rate" number={formatPercent(live.abandonRate)} />
            <StatisticsItem
              label="Pace (calls/s, measured of configured)"
              number={`${live.pace.measuredCps.toFixed(2)} / ${live.pace.configuredCps}`}
            />
            <StatisticsItem label="Time to finish" number={formatEta(live.etaMinutes)} />
          </Statistics>
          <Statistics>
            {COUNT_LABELS.map(([key, label]) => (
              <StatisticsItem key={key} label={label} number={live.counts[key] ?? 0} />
            ))}
          </Statistics>
          {live.activeCalls.length === 0 ? (
            <Text testId="no-active-calls">No call is in progress.</Text>
          ) : (
            <Table bordered testId="active-calls">
              <TableHead>
                <TableRow>
                  <TableHeader>Number</TableHeader>
                  <TableHeader>State</TableHeader>
                  <TableHeader>Since</TableHeader>
                </TableRow>
              </TableHead>
              <TableBody>
                {live.activeCalls.map((c) => (
                  <TableRow key={c.attemptId}>
                    <TableCell>{c.toMasked}</TableCell>
                    <TableCell>{c.state}</TableCell>
                    <TableCell>{formatDateTime(c.since)}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </>
      )}
    </Flex>
  );
}
