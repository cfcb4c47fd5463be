/** Entry point of the app's settings page. */
import React from 'react';
import { hubspot } from '@hubspot/ui-extensions';
import { AccountSettingsPage } from './parts/AccountSettingsPage';

hubspot.extend<'settings'>(({ context }) => (
  <AccountSettingsPage userTeams={context.user.teams.map((t) => ({ id: String(t.id), name: t.name }))} />
));
