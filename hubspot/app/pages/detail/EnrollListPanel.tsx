/** Enrolls a HubSpot list into the campaign and follows the enrollment job until it finishes. */
import React, { useCallback, useState } from 'react';
import { Button, Flex, Heading, Input, ProgressBar, Text } from '@hubspot/ui-extensions';
import { apiRequest, fieldMessages, toApiError, type ApiError } from '../../lib/api';
import type { EnrollmentJob } from '../../lib/types';
import { usePolling } from '../../lib/useApi';
import { ActionError } from '../../lib/ui';
import { splitList } from '../campaign-form/model';

const FINISHED = new Set(['completed', 'failed', 'done', 'canceled']);

export function EnrollListPanel({ campaignId, pollMs }: { campaignId: string; pollMs: number }) {
  const base = `/campaigns/${encodeURIComponent(campaignId)}/enrollments`;
  const [listId, setListId] = useState('');
  const [phoneFields, setPhoneFields] = useState('');
  const [missing, setMissing] = useState(false);
  const [job, setJob] = useState<EnrollmentJob | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const enroll = async () => {
    if (!listId.trim()) {
      setMissing(true);
      return;
    }
    setMissing(false);
    setError(null);
    try {
      const fields = splitList(phoneFields);
      const body =
        fields.length > 0 ? { listId: listId.trim(), phoneFields: fields } : { listId: listId.trim() };
      setJob((await apiRequest<{ job: EnrollmentJob }>(base, 'POST', body)).job);
    } catch (e) {
      setError(toApiError(e));
    }
  };

  const jobId = job?.id;
  const tick = useCallback(async () => {
    if (!jobId) return true;
    try {
      const next = (await apiRequest<{ job: EnrollmentJob }>(`${base}/${encodeURIComponent(jobId)}`)).job;
      setJob(next);
      return FINISHED.has(next.status);
    } catch (e) {
      setError(toApiError(e));
      return true;
    }
  }, [base, jobId]);
  usePolling(tick, pollMs, !!jobId && !FINISHED.has(job?.status ?? ''));

  const messages = fieldMessages(error);
  const listMessage = missing ? 'Enter the ID of a HubSpot contact list.' : messages.listId;
  return (
    <Flex direction="column" gap="sm">
      <Heading>Enroll a list</Heading>
      <ActionError error={error} testId="enroll-error" />
      <Input
        label="HubSpot list ID"
        name="listId"
        value={listId}
        onChange={setListId}
        error={!!listMessage}
        validationMessage={listMessage}
      />
      <Input
        label="Phone properties to call (optional)"
        name="phoneFields"
        description="Comma-separated, e.g. phone, mobilephone"
        value={phoneFields}
        onChange={setPhoneFields}
        error={!!messages.phoneFields}
        validationMessage={messages.phoneFields}
      />
      <Button testId="enroll" onClick={() => void enroll()}>
        Enroll list
      </Button>
      {job && (
        <>
          <Text testId="enroll-progress">
            {`${job.status}: ${job.enrolled} enrolled, ${job.skipped} skipped of ${job.total ?? job.processed} processed`}
          </Text>
          {job.total ? <ProgressBar value={job.processed} maxValue={job.total} /> : null}
        </>
      )}
    </Flex>
  );
}
