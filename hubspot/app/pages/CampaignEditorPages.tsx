/** Create and edit pages around the campaign form. Edits carry the version read, so a concurrent change is a 409. */
import React from 'react';
import { Flex, useExtensionActions } from '@hubspot/ui-extensions';
import { PageTitle, usePageRoute } from '@hubspot/ui-extensions/pages';
import { apiRequest } from '../lib/api';
import type { Campaign } from '../lib/types';
import { useApiGet } from '../lib/useApi';
import { LoadError, Loading } from '../lib/ui';
import { CampaignFormView } from './campaign-form/CampaignFormView';
import { emptyForm, fromSettings } from './campaign-form/model';

export function NewCampaignPage() {
  const { navigateToPage } = useExtensionActions<'pages'>();
  return (
    <Flex direction="column" gap="md">
      <PageTitle>New campaign</PageTitle>
      <CampaignFormView
        initial={emptyForm()}
        submitLabel="Create campaign"
        onCancel={() => navigateToPage({ to: '/' })}
        onSubmit={async (settings) => {
          const { campaign } = await apiRequest<{ campaign: Campaign }>('/campaigns', 'POST', settings);
          navigateToPage({ to: '/campaigns/:campaignId', params: { campaignId: campaign.id } });
        }}
      />
    </Flex>
  );
}

export function EditCampaignPage() {
  const { params } = usePageRoute();
  const campaignId = params.campaignId ?? '';
  const path = `/campaigns/${encodeURIComponent(campaignId)}`;
  const loaded = useApiGet<{ campaign: Campaign }>(path);
  const { navigateToPage } = useExtensionActions<'pages'>();
  const toDetail = () => navigateToPage({ to: '/campaigns/:campaignId', params: { campaignId } });

  if (loaded.state === 'loading') return <Loading label="Loading the campaign" />;
  if (loaded.state === 'error') return <LoadError title="The campaign could not load" error={loaded.error} />;
  const { campaign } = loaded.data;
  return (
    <Flex direction="column" gap="md">
      <PageTitle>{`Edit ${campaign.name}`}</PageTitle>
      <CampaignFormView
        initial={fromSettings(campaign.settings)}
        submitLabel="Save changes"
        onCancel={toDetail}
        onSubmit={async (settings) => {
          await apiRequest<{ campaign: Campaign }>(path, 'PATCH', { version: campaign.version, settings });
          toDetail();
        }}
      />
    </Flex>
  );
}
