/** The campaign manager's routes: list, new, detail (with the live view) and edit. */
import React from 'react';
import { Text } from '@hubspot/ui-extensions';
import { PageLink, PageRoutes, createPageRouter } from '@hubspot/ui-extensions/pages';
import { CampaignListPage } from './CampaignListPage';
import { EditCampaignPage, NewCampaignPage } from './CampaignEditorPages';
import { CampaignDetailPage } from './CampaignDetailPage';

function NotFoundPage() {
  return (
    <Text>
      This page does not exist. <PageLink to="/">Back to the campaigns</PageLink>
    </Text>
  );
}

export const CampaignRouter = createPageRouter(
  <PageRoutes>
    <PageRoutes.IndexRoute component={CampaignListPage} id="campaigns" />
    <PageRoutes.Route path="/new" component={NewCampaignPage} id="new-campaign" />
    <PageRoutes.Route path="/campaigns/:campaignId" component={CampaignDetailPage} id="campaign" />
    <PageRoutes.Route path="/campaigns/:campaignId/edit" component={EditCampaignPage} id="edit-campaign" />
    <PageRoutes.AnyRoute component={NotFoundPage} />
  </PageRoutes>,
);
