/** "1,240 of 1,300 contacts can be called; 31 invalid numbers, ..." computed by the backend's policy. */
import React, { useState } from 'react';
import { Button, Flex, Heading, Statistics, StatisticsItem, Text } from '@hubspot/ui-extensions';
import { apiRequest, toApiError, type ApiError } from '../../lib/api';
import type { CompliancePreview } from '../../lib/types';
import { ActionError, Loading } from '../../lib/ui';

export function CompliancePreviewPanel({ campaignId }: { campaignId: string }) {
  const [preview, setPreview] = useState<CompliancePreview | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const check = async () => {
    setLoading(true);
    setError(null);
    try {
      setPreview(
        await apiRequest<CompliancePreview>(
          `/campaigns/${encodeURIComponent(campaignId)}/compliance-preview`,
        ),
      );
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setLoading(false);
    }
  };

  return (
    <Flex direction="column" gap="sm">
      <Heading>Who can be called</Heading>
      <ActionError error={error} testId="preview-error" />
      {loading && <Loading label="Checking the contacts" />}
      {preview && preview.total === 0 && (
        <Text testId="preview-empty">No contacts are enrolled yet; enroll a list first.</Text>
      )}
      {preview && preview.total > 0 && (
        <>
          <Text testId="preview-summary">{preview.summary}</Text>
          <Statistics>
            <StatisticsItem label="Callable" number={preview.callable} />
            <StatisticsItem label="Invalid numbers" number={preview.invalid} />
            <StatisticsItem label="Do-Not-Call" number={preview.doNotCall} />
            <StatisticsItem label="No callable time (7 days)" number={preview.noCallableTime} />
            <StatisticsItem label="At daily cap" number={preview.atDailyCap} />
            <StatisticsItem label="Duplicates" number={preview.duplicates} />
          </Statistics>
        </>
      )}
      <Button testId="run-preview" disabled={loading} onClick={() => void check()}>
        {preview ? 'Check again' : 'Check who can be called'}
      </Button>
    </Flex>
  );
}
