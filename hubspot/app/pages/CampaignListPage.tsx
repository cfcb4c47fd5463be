/** Seed 001's campaign list: name, calls (answered / not answered / total), status, updated, actions. */
import React from 'react';
import {
  Button,
  EmptyState,
  Flex,
  StatusTag,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
  Text,
  useExtensionActions,
} from '@hubspot/ui-extensions';
import { PageLink, PageTitle } from '@hubspot/ui-extensions/pages';
import { campaignStatusLabel, campaignStatusVariant, formatCount, formatDateTime } from '../lib/format';
import type { CampaignSummary } from '../lib/types';
import { useApiGet } from '../lib/useApi';
import { LoadError, Loading } from '../lib/ui';

export function CampaignListPage() {
  const list = useApiGet<{ campaigns: CampaignSummary[] }>('/campaigns');
  const { navigateToPage } = useExtensionActions<'pages'>();
  const add = (
    <Button variant="primary" testId="add-campaign" onClick={() => navigateToPage({ to: '/new' })}>
      Add campaign
    </Button>
  );

  if (list.state === 'loading') return <Loading label="Loading campaigns" />;
  if (list.state === 'error') {
    return (
      <Flex direction="column" gap="sm">
        <LoadError title="Campaigns could not load" error={list.error} />
        <Button onClick={list.reload} testId="retry">
          Try again
        </Button>
      </Flex>
    );
  }
  const { campaigns } = list.data;
  return (
    <Flex direction="column" gap="md">
      <PageTitle>Campaigns</PageTitle>
      {add}
      {campaigns.length === 0 ? (
        <EmptyState title="No campaigns yet" imageName="callingSetUp">
          <Text>Add a campaign, enroll a HubSpot list, check who can be called, then start it.</Text>
        </EmptyState>
      ) : (
        <Table bordered testId="campaign-table">
          <TableHead>
            <TableRow>
              <TableHeader>Name</TableHeader>
              <TableHeader>Answered</TableHeader>
              <TableHeader>Not answered</TableHeader>
              <TableHeader>Total calls</TableHeader>
              <TableHeader>Status</TableHeader>
              <TableHeader>Updated</TableHeader>
              <TableHeader>Actions</TableHeader>
            </TableRow>
          </TableHead>
          <TableBody>
            {campaigns.map((c) => (
              <TableRow key={c.id}>
                <TableCell>
                  <PageLink to="/campaigns/:campaignId" params={{ campaignId: c.id }}>
                    {c.name}
                  </PageLink>
                </TableCell>
                <TableCell>{formatCount(c.answered)}</TableCell>
                <TableCell>{formatCount(c.notAnswered)}</TableCell>
                <TableCell>{formatCount(c.total)}</TableCell>
                <TableCell>
                  <StatusTag variant={campaignStatusVariant(c.status)}>
                    {campaignStatusLabel(c.status)}
                  </StatusTag>
                </TableCell>
                <TableCell>{formatDateTime(c.updatedAt)}</TableCell>
                <TableCell>
                  <PageLink to="/campaigns/:campaignId/edit" params={{ campaignId: c.id }}>
                    Edit
                  </PageLink>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Flex>
  );
}
