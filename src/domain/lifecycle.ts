/** Campaign lifecycle: the statuses users know from the seeds and the one function that moves between them. */

export const CAMPAIGN_STATUSES = [
  'draft',
  'scheduled',
  'active',
  'paused',
  'completed',
  'overdue',
  'canceled',
  'archived',
] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];
