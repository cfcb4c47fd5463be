/** One campaign: status, lifecycle buttons allowed in its status, list enrollment, compliance preview, live view. */
import React, { useEffect, useState } from 'react';
import {
  Button,
  DescriptionList,
  DescriptionListItem,
  Divider,
  Flex,
  StatusTag,
  Text,
  useExtensionActions,
} from '@hubspot/ui-extensions';
import { PageLink, PageTitle, usePageRoute } from '@hubspot/ui-extensions/pages';
import { LIVE_POLL_MS } from '../lib/config';
import { campaignStatusLabel, campaignStatusVariant, formatDateTime } from '../lib/format';
import type { Campaign } from '../lib/types';
import { useApiGet } from '../lib/useApi';
import { LoadError, Loading } from '../lib/ui';
import { LifecycleButtons } from './detail/LifecycleButtons';
import { CompliancePreviewPanel } from './detail/CompliancePreviewPanel';
import { EnrollListPanel } from './detail/EnrollListPanel';
import { LiveView } from './detail/LiveView';

export function CampaignDetailPage({ pollMs = LIVE_POLL_MS }: { pollMs?: number }) {
  const { params } = usePageRoute();
  const campaignId = params.campaignId ?? '';
  const path = `/campaigns/${encodeURIComponent(campaignId)}`;
  const loaded = useApiGet<{ campaign: Campaign }>(path);
  const { navigateToPage } = useExtensionActions<'pages'>();
  // Lifecycle answers carry the updated campaign; it replaces the loaded one without another round trip.
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const fetched = loaded.state === 'ready' ? loaded.data.campaign : null;
  useEffect(() => setCampaign(fetched), [fetched]);

  if (loaded.state === 'loading') return <Loading label="Loading the campaign" />;
  if (loaded.state === 'error') {
    return (
      <Flex direction="column" gap="sm">
        <LoadError title="The campaign could not load" error={loaded.error} />
        <PageLink to="/">Back to the campaigns</PageLink>
      </Flex>
    );
  }
  const current = campaign ?? loaded.data.campaign;
  const live = current.status === 'active' || current.status === 'paused';
  return (
    <Flex direction="column" gap="md">
      <PageTitle>{current.name}</PageTitle>
      <Flex direction="row" gap="sm" align="center">
        <StatusTag variant={campaignStatusVariant(current.status)} testId="campaign-status">
          {campaignStatusLabel(current.status)}
        </StatusTag>
        {current.allowedActions.includes('edit') && (
          <PageLink to="/campaigns/:campaignId/edit" params={{ campaignId: current.id }}>
            Edit settings
          </PageLink>
        )}
      </Flex>
      <DescriptionList direction="row">
        <DescriptionListItem label="Created">
          <Text>{formatDateTime(current.createdAt)}</Text>
        </DescriptionListItem>
        <DescriptionListItem label="Updated">
          <Text>{formatDateTime(current.updatedAt)}</Text>
        </DescriptionListItem>
        <DescriptionListItem label="Scheduled start">
          <Text>{formatDateTime(current.scheduledStartAt)}</Text>
        </DescriptionListItem>
      </DescriptionList>
      <LifecycleButtons
        campaign={current}
        onChanged={setCampaign}
        onDeleted={() => navigateToPage({ to: '/' })}
      />
      {live && (
        <>
          <Divider />
          <LiveView campaignId={current.id} pollMs={pollMs} />
        </>
      )}
      <Divider />
      <EnrollListPanel campaignId={current.id} pollMs={pollMs} />
      <Divider />
      <CompliancePreviewPanel campaignId={current.id} />
      {!live && current.status !== 'draft' && (
        <Button onClick={loaded.reload} testId="refresh">
          Refresh
        </Button>
      )}
    </Flex>
  );
}
