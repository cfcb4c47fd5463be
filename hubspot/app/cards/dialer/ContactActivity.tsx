/** The contact's campaign enrollments (call now, remove) and attempt history. */
import React from 'react';
import {
  Button,
  ButtonRow,
  Heading,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
  Text,
} from '@hubspot/ui-extensions';
import { formatDateTime, formatDuration } from '../../lib/format';
import type { DialerEnrollment, HistoryEntry } from '../../lib/types';

export function Enrollments(props: {
  enrollments: DialerEnrollment[];
  disabled: boolean;
  onCallNow: (campaignId: string) => void;
  onRemove: (campaignId: string) => void;
}) {
  return (
    <>
      <Heading>Campaigns</Heading>
      {props.enrollments.length === 0 ? (
        <Text testId="no-enrollments">This contact is not in any campaign.</Text>
      ) : (
        <Table bordered>
          <TableHead>
            <TableRow>
              <TableHeader>Campaign</TableHeader>
              <TableHeader>State</TableHeader>
              <TableHeader>Attempts</TableHeader>
              <TableHeader>Next attempt</TableHeader>
              <TableHeader>Actions</TableHeader>
            </TableRow>
          </TableHead>
          <TableBody>
            {props.enrollments.map((e) => (
              <TableRow key={e.campaignId}>
                <TableCell>{e.campaignName}</TableCell>
                <TableCell>{e.state}</TableCell>
                <TableCell>{e.attempts}</TableCell>
                <TableCell>{formatDateTime(e.nextAttemptAt)}</TableCell>
                <TableCell>
                  <ButtonRow>
                    <Button
                      size="xs"
                      disabled={props.disabled}
                      testId={`call-now-${e.campaignId}`}
                      onClick={() => props.onCallNow(e.campaignId)}
                    >
                      Call now
                    </Button>
                    <Button
                      size="xs"
                      variant="destructive"
                      disabled={props.disabled}
                      testId={`remove-${e.campaignId}`}
                      onClick={() => props.onRemove(e.campaignId)}
                    >
                      Remove
                    </Button>
                  </ButtonRow>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
}

export function History({ history }: { history: HistoryEntry[] }) {
  return (
    <>
      <Heading>Attempts</Heading>
      {history.length === 0 ? (
        <Text testId="no-history">No calls yet.</Text>
      ) : (
        <Table bordered>
          <TableHead>
            <TableRow>
              <TableHeader>When</TableHeader>
              <TableHeader>Outcome</TableHeader>
              <TableHeader>Disposition</TableHeader>
              <TableHeader>Duration</TableHeader>
              <TableHeader>Notes</TableHeader>
            </TableRow>
          </TableHead>
          <TableBody>
            {history.map((h) => (
              <TableRow key={h.attemptId}>
                <TableCell>{formatDateTime(h.at)}</TableCell>
                <TableCell>{h.outcome}</TableCell>
                <TableCell>{h.disposition || '—'}</TableCell>
                <TableCell>{formatDuration(h.durationSec)}</TableCell>
                <TableCell>{h.notes ?? ''}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
}
