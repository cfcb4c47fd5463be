/**
 * The account defaults a manager edits on the settings page: the dialer settings every campaign inherits
 * (zone, windows, no-call dates), the caller IDs reps' manual calls use, and the HubSpot teams whose members
 * may run campaigns (seed 002: super admins always may).
 */
import { z } from 'zod';
import { AccountSettingsSchema, E164Schema } from './settings.js';

export const HubSpotIdSchema = z.string().regex(/^\d{1,20}$/, 'expected a numeric HubSpot id');

export const AccountDefaultsSchema = AccountSettingsSchema.extend({
  /** Caller IDs for manual calls (click-to-call, call now); the first one is used. */
  callerIds: z.array(E164Schema).max(100).default([]),
  /** HubSpot team ids whose members may create, change, start and stop campaigns. */
  campaignTeams: z.array(HubSpotIdSchema).max(100).default([]),
});
export type AccountDefaults = z.infer<typeof AccountDefaultsSchema>;

/** Seed 002: a super admin, or a member of a team the account names. */
export function mayManageCampaigns(
  user: { superAdmin: boolean; teamIds: readonly string[] },
  campaignTeams: readonly string[],
): boolean {
  return user.superAdmin || user.teamIds.some((t) => campaignTeams.includes(t));
}
